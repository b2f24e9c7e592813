"""``tickhub``: the one command line for the hub.

    tickhub up [--nats-url URL]                  the whole hub, supervised
    tickhub gateway|health|failover|publisher|api   one service in the foreground
    tickhub tail [SYMBOL ...]                    ticks as they leave on ZeroMQ
    tickhub status [SOURCE] [--json]             the GatewayManager's view of the pool
    tickhub start|stop|restart SOURCE            operate one source
    tickhub fault SOURCE stall|resume|disconnect|hang|crash   rehearse a failure
    tickhub ctp-front [--port 41205] [--replay FILE] ...   a local CTP market-data front
    tickhub ctp-front fault drop|silence|stall|refuse|reject-logins|clear|status
    tickhub universe list|add TEXT|remove TEXT|resolved   the contract universe (REST API)
    tickhub instruments [SEARCH] [--exchange X]  search the instrument catalog (REST API)
    tickhub catalog refresh                      have the gateway list the instruments anew
    tickhub ctp-front trading-day [DAY|auto] | pace [N|off]   a running front's settings

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
from pathlib import Path
from typing import cast, get_args

import pydantic

from tickhub_contracts import subjects
from tickhub_contracts.messages import FaultKind
from tickhub_runtime.settings import Settings

from . import control, universe, up

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
    return up.run(settings, args.nats_url, demo=args.demo)


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


def _ctp_front(args: argparse.Namespace, settings: Settings) -> int:
    """Serve a local CTP front in the foreground, or send one to its control port."""
    # Imported here: the front pulls in vnpy (the sim's ticks), which no other
    # command needs, and an install without the gateway keeps every other command.
    try:
        from tickhub_gateway.localctp.front import cli as front
    except ImportError as error:
        raise control.CommandError(f"ctp-front needs tickhub_gateway installed: {error}") from None
    if args.front_command is not None:
        try:
            if args.front_command == "fault":
                said = front.fault(args.kind, args.control, settings.command_timeout_s)
            elif args.front_command == "trading-day":
                said = front.trading_day(args.day, args.control, settings.command_timeout_s)
            else:
                said = front.pace(args.limit, args.control, settings.command_timeout_s)
        except ValueError as error:
            raise UsageError(str(error)) from None
        except front.ControlError as error:
            raise control.CommandError(str(error)) from None
        print(said)
        return 0
    try:
        front_settings = front.front_settings(
            host=args.host,
            port=args.port,
            control_port=args.control_port,
            broker=args.broker,
            user=args.user,
            password=args.password,
            replay=args.replay,
            speed=args.speed,
            restamp=args.restamp,
            start_at=args.start_at,
            seed=args.seed,
            delay_ms=args.delay_ms,
            contracts=args.contracts,
            heartbeat_s=args.heartbeat_s,
            timeout_s=args.timeout_s,
            sim_contracts=settings.sim_contracts,
            canary=settings.canary,
            trading_day=args.trading_day,
            futures_only=args.futures_only,
            instruments=args.instruments,
            app_id=args.app_id,
            auth_code=args.auth_code,
            max_subscribe_per_s=args.max_subscribe_per_s,
        )
        return front.serve(front_settings, settings.log_level)
    except ValueError as error:  # a bad option or replay file
        raise UsageError(f"ctp-front: {error}") from None
    except OSError as error:  # a port in use
        raise UsageError(f"ctp-front: {error.strerror or error}") from None


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
        "--demo",
        choices=("sim", "ctp"),
        default="sim",
        help="sim: the demo sim accounts sim-a, sim-b go into a new database (default); "
        "ctp: two local CTP fronts start beside the hub and the accounts ctp-a, ctp-b on "
        "them are added where missing (the real vnpy_ctp path, no broker needed)",
    )
    p.add_argument(
        "--no-demo",
        action="store_const",
        dest="demo",
        const="none",
        help="add no demo accounts",
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


def _port(value: str) -> int:
    if not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a TCP port (0 picks a free one)")
    return int(value)


def _add_ctp_front(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "ctp-front",
        help="serve a local CTP market-data front for rehearsal and tests (docs/ctp-front.md)",
        description="Serve a local CTP market-data front in the foreground: the sim's ticks "
        "(the same as the sim source's for the same seed) or a recorded tick file, to ctp "
        "accounts whose md_library is local. Ctrl-C or SIGTERM stops it. "
        "`tickhub ctp-front fault KIND` sends a fault to a running front.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=_port, default=41205, help="front port (41205)")
    p.add_argument(
        "--control-port", type=_port, help="control port, on 127.0.0.1 (default: port + 10)"
    )
    p.add_argument("--broker", metavar="ID", help="broker id a login must give (9999)")
    p.add_argument("--user", metavar="ID", help="user id a login must give (rehearsal)")
    p.add_argument(
        "--password",
        help="password a login must give (default: $TICKHUB_CTP_FRONT_PASSWORD, else rehearsal)",
    )
    p.add_argument("--replay", type=Path, metavar="FILE", help="serve a recorded tick file (CSV)")
    p.add_argument(
        "--speed", type=float, default=1.0, help="replay pace, 1 = as recorded (default 1)"
    )
    p.add_argument(
        "--restamp",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="replayed records carry the time they are sent (default); --no-restamp: as recorded",
    )
    p.add_argument(
        "--start-at",
        metavar="WHEN",
        help="start the replay at this moment, not the next whole second: seconds since the "
        "epoch or an ISO datetime (China time without an offset); two fronts given the same "
        "file, speed and moment replay in lockstep. Past already: what is due goes out at once",
    )
    p.add_argument("--seed", type=int, default=0, help="the sim's seed (0, the sim source's)")
    p.add_argument(
        "--delay-ms",
        type=float,
        default=0.0,
        help="send each of the sim's slots, or each replayed record, this much late (0): a "
        "front farther away, so two fronts on one seed (or one replay and --start-at) race "
        "as two brokers' fronts do",
    )
    p.add_argument(
        "--contracts",
        metavar="LIST",
        help="comma-separated vt_symbols (rb2605.SHFE,...): the sim's contracts, the exchange "
        "of replayed ones (default: TICKHUB_SIM_CONTRACTS and TICKHUB_CANARY)",
    )
    p.add_argument("--heartbeat-s", type=int, default=1, help="heartbeat period (1)")
    p.add_argument("--timeout-s", type=int, default=5, help="silence that ends a link (5)")
    p.add_argument(
        "--trading-day",
        metavar="DAY",
        help="the trading day logins report and instruments are listed for (YYYY-MM-DD; "
        "default: the clock's, the next weekday from 17:00 China time)",
    )
    p.add_argument(
        "--instruments",
        type=Path,
        metavar="FILE",
        help="list this catalog CSV to the trading side (vt_symbol,product,kind,name,expiry,"
        "listed,tick_size,multiplier,underlying,option_type,strike) instead of the sim market",
    )
    p.add_argument(
        "--futures-only",
        action="store_true",
        help="list the sim market's futures only (about 900), not its options as well "
        "(some 23,000 instruments in all)",
    )
    p.add_argument("--app-id", metavar="ID", help="AppID a trading client must authenticate with")
    p.add_argument(
        "--auth-code",
        metavar="CODE",
        help="AuthCode a trading client must authenticate with (default: "
        "$TICKHUB_CTP_FRONT_AUTH_CODE; unset: no authentication needed)",
    )
    p.add_argument(
        "--max-subscribe-per-s",
        type=int,
        metavar="N",
        help="drop a connection that subscribes more than N instruments within a second, as "
        "a real front drops a flood (default: no limit)",
    )
    p.set_defaults(handler=_ctp_front, front_command=None)
    actions = p.add_subparsers(dest="front_command", metavar="fault|trading-day|pace")
    f = actions.add_parser(
        "fault",
        help="send a fault to a running front, or ask its status",
        description="drop: close every connection now; silence: send nothing at all; "
        "stall: heartbeats but no market data; refuse: close new connections at once; "
        "reject-logins: answer every login ErrorID 3; clear: undo them all; status: JSON.",
    )
    f.add_argument(
        "kind", choices=("drop", "silence", "stall", "refuse", "reject-logins", "clear", "status")
    )
    f.add_argument(
        "--control", metavar="HOST:PORT", help="the front's control port (127.0.0.1:41215)"
    )
    t = actions.add_parser(
        "trading-day",
        help="ask or set the trading day a running front reports and lists instruments for",
        description="Without DAY: print it. DAY (YYYY-MM-DD) fixes it; auto: the clock's again.",
    )
    t.add_argument("day", nargs="?", metavar="DAY|auto")
    t.add_argument(
        "--control", metavar="HOST:PORT", help="the front's control port (127.0.0.1:41215)"
    )
    r = actions.add_parser(
        "pace",
        help="ask or set a running front's subscription pace limit",
        description="Without N: print it. N: drop a connection that subscribes more than N "
        "instruments within a second; off: no limit.",
    )
    r.add_argument("limit", nargs="?", metavar="N|off")
    r.add_argument(
        "--control", metavar="HOST:PORT", help="the front's control port (127.0.0.1:41215)"
    )


BUILDERS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    _add_up,
    _add_services,
    _add_tail,
    _add_control,
    _add_ctp_front,
    universe.add_parsers,
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
