"""The embedded server's one error."""

from __future__ import annotations


class PostgresError(RuntimeError):
    """The embedded server cannot start; the message says why in one line."""
