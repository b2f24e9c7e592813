"""`tickhub api` / `python -m tickhub_api`: serve the REST API with uvicorn.

``python -m tickhub_api prestart [--demo sim|ctp|none] [--wait SECONDS]``: wait for
the database, apply the migrations, add the demo accounts; run once
before serving (``tickhub up`` does, and so does the container's command).

``python -m tickhub_api makemigration NAME``: write a new migration after a change
of :mod:`tickhub_accounts.models` (developers).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from tickhub_accounts.db import DatabaseUrlError, database_url
from tickhub_runtime import logs
from tickhub_runtime.settings import Settings

from .server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tickhub_api")
    commands = parser.add_subparsers(dest="command")
    prestart_parser = commands.add_parser("prestart", help="wait for the database, migrate, seed")
    prestart_parser.add_argument(
        "--demo",
        choices=("sim", "ctp", "none"),
        default="sim",
        help="demo accounts: sim (into a new database, the default), ctp (two accounts on "
        "local CTP fronts, wherever missing) or none",
    )
    prestart_parser.add_argument(
        "--no-demo", action="store_const", dest="demo", const="none", help="same as --demo none"
    )
    prestart_parser.add_argument(
        "--wait", type=float, default=60.0, help="seconds to wait for the database (60)"
    )
    make_parser = commands.add_parser("makemigration", help="write a new migration (developers)")
    make_parser.add_argument("name")
    args = parser.parse_args(argv)

    if args.command is None:
        serve()
        return 0

    settings = Settings()
    logs.configure("api", settings.log_level)
    # Tortoise's DEBUG start-up line shows a third of the database password.
    logging.getLogger("tortoise").setLevel(max(logging.INFO, logging.getLogger().level))
    log = logs.get_logger("tickhub.api")
    from . import migrate
    from .prestart import prestart

    try:
        if args.command == "prestart":
            asyncio.run(prestart(settings, demo=args.demo, wait_s=args.wait))
        else:
            written = asyncio.run(migrate.make(database_url(settings), args.name))
            print(written or "the models match the migrations: nothing to write")
    except (DatabaseUrlError, migrate.DatabaseUnavailable) as error:
        log.error("%s failed: %s", args.command, error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
