"""``tickhub``: the one command line for the hub.

    tickhub up [--nats-url URL]                  the whole hub, supervised
    tickhub gateway|health|failover|publisher|api   one service in the foreground
    tickhub tail [SYMBOL ...]                    ticks as they leave on ZeroMQ
    tickhub status [SOURCE] [--json]             the GatewayManager's view of the pool
    tickhub start|stop|restart SOURCE            operate one source
    tickhub fault SOURCE stall|resume|disconnect|hang|crash   rehearse a failure

Exit codes: 0 done, 1 failed (no NATS, no manager, refused), 2 bad usage or a
setting/port that cannot work. Errors are one line on stderr, never a traceback.
New subcommands (``bench`` comes later) add a ``_add_<name>`` builder to
:data:`BUILDERS` and a handler.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from typing import cast, get_args

import pydantic

from tickhub_contracts import subjects
from tickhub_contracts.messages import FaultKind
from tickhub_runtime.settings import Settings

from . import control, up

Handler = Callable[[argparse.Namespace, Settings], int]

FAULTS: tuple[str, ...] = get_args(FaultKind)


class UsageError(Exception):
    """Bad input found after parsing (exit 2)."""


def _source(value: str) -> str:
    try:
        return subjects.token(value, "source")
    except subjects.InvalidToken as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _nats_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--nats-url",
        metavar="URL",
        help="NATS server to use (overrides TICKHUB_NATS_URL)",
    )


# --- handlers -----------------------------------------------------------------------


def _up(args: argparse.Namespace, settings: Settings) -> int:
    return up.run(settings, args.nats_url, demo=not args.no_demo)


def _service(args: argparse.Namespace, settings: Settings) -> int:
    """Replace this process by ``python -m tickhub_<service>`` (what a container runs),
    after the same checks ``tickhub up`` makes for that service."""
    service: str = args.command
    if up.missing([service]):
        raise control.CommandError(f"{service} is not installed ({up.module(service)}.__main__)")
    try:
        up.preflight(settings, [service], bundled_nats=False)
    except up.UpError as error:
        raise UsageError(str(error)) from None
    if args.nats_url:
        os.environ["TICKHUB_NATS_URL"] = args.nats_url
    sys.stdout.flush()
    sys.stderr.flush()
    argv = up.service_argv(service)
    os.execv(argv[0], argv)


def _tail(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here: it pulls in pyzmq, which no other command needs.
    from . import tail

    return tail.run(settings, list(args.symbols))


def _status(args: argparse.Namespace, settings: Settings) -> int:
    if args.source:
        reply = asyncio.run(control.command(settings, args.source, control.make_command("status")))
        statuses = [reply.status] if reply.status is not None else []
    else:
        statuses = asyncio.run(control.pool(settings))
    if args.json:
        print(control.to_json(statuses))
    elif statuses:
        print(control.table(statuses))
    else:
        print("the gateway manager runs no sources")
    return 0


def _operate(args: argparse.Namespace, settings: Settings) -> int:
    action: str = args.command
    fault = cast(FaultKind, args.kind) if action == "fault" else None
    reply = asyncio.run(control.command(settings, args.source, control.make_command(action, fault)))
    label = f"fault {args.kind}" if fault else action
    print(control.summary(args.source, label, reply))
    return 0


# --- parser -------------------------------------------------------------------------


def _add_up(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "up",
        help="run the whole hub: bundled NATS and every service, supervised",
        description="Start a bundled nats-server (unless --nats-url / TICKHUB_NATS_URL "
        "names one) and every service, stream their logs, restart any that dies; "
        "Ctrl-C or SIGTERM stops everything.",
    )
    _nats_option(p)
    p.add_argument(
        "--no-demo",
        action="store_true",
        help="do not add the demo sim accounts (sim-a, sim-b) to a new database",
    )
    p.set_defaults(handler=_up)


def _add_services(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name in up.SERVICES:
        p = commands.add_parser(
            name, help=f"run the {name} service alone, in the foreground (what its container runs)"
        )
        _nats_option(p)
        p.set_defaults(handler=_service)


def _add_tail(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("tail", help="print the ticks arriving on the ZeroMQ endpoint")
    p.add_argument("symbols", nargs="*", metavar="SYMBOL", help="vt_symbols, e.g. rb2605.SHFE")
    p.set_defaults(handler=_tail)


def _add_control(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("status", help="show every source as the GatewayManager sees it")
    p.add_argument("source", nargs="?", type=_source, help="only this source")
    p.add_argument("--json", action="store_true", help="print JSON, not a table")
    _nats_option(p)
    p.set_defaults(handler=_status)
    verbs = {
        "start": "start a source (clears a manual stop)",
        "stop": "stop a source; nothing restarts it until it is started again",
        "restart": "hard-restart a source: SIGTERM, SIGKILL after the grace, a new process",
    }
    for verb, text in verbs.items():
        p = commands.add_parser(verb, help=text)
        p.add_argument("source", type=_source)
        _nats_option(p)
        p.set_defaults(handler=_operate)
    p = commands.add_parser("fault", help="inject a failure into a source (rehearsal, tests)")
    p.add_argument("source", type=_source)
    p.add_argument("kind", choices=FAULTS)
    _nats_option(p)
    p.set_defaults(handler=_operate)


BUILDERS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    _add_up,
    _add_services,
    _add_tail,
    _add_control,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tickhub",
        description="tickhub: high-availability market-data hub. Settings come from "
        "TICKHUB_* environment variables (see README).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for build in BUILDERS:
        build(commands)
    return parser


def _settings_error(error: pydantic.ValidationError) -> str:
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else "?"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"invalid setting TICKHUB_{field.upper()}: {first['msg']}{more}"


def load_settings(nats_url: str | None = None) -> Settings:
    try:
        settings = Settings()
    except pydantic.ValidationError as error:
        raise UsageError(_settings_error(error)) from None
    if nats_url:
        settings = settings.model_copy(update={"nats_url": nats_url})
    return settings


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = cast(Handler, args.handler)
    try:
        settings = load_settings(getattr(args, "nats_url", None))
        return handler(args, settings)
    except UsageError as error:
        print(f"tickhub: {error}", file=sys.stderr)
        return 2
    except control.CommandError as error:
        print(f"tickhub: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
