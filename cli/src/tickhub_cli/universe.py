"""``tickhub universe|instruments|catalog``: the contract universe through the REST API.

    tickhub universe list [--json]
    tickhub universe add TEXT [--options] [--note NOTE]
    tickhub universe remove TEXT
    tickhub universe resolved [--search S] [--problem uncovered|single] [--json]
    tickhub instruments [SEARCH] [--exchange X] [--kind K] [--limit N] [--json]
    tickhub catalog refresh

Each is one or a few calls of :class:`~tickhub_cli.apiclient.ApiClient`; the output
is a table (or the api's JSON with ``--json``) and one line per change.
"""

from __future__ import annotations

import argparse
import json
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from tickhub_runtime.settings import Settings

from .apiclient import ApiClient
from .control import CommandError

RESOLVED_PAGE = 5000
"""Contracts per call of GET /api/universe/resolved (its largest page)."""
REFRESH_MARGIN_S = 30.0
"""A refresh waits the gateway's query timeout, the api's margin and this."""


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: a Chinese character (an instrument's
    name) takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Aligned columns, the last one unpadded."""
    everything = [list(header), *(list(row) for row in rows)]
    widths = [max(width(row[i]) for row in everything) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell + " " * (column - width(cell)) for cell, column in zip(row, widths, strict=True)
        ).rstrip()
        for row in everything
    )


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def _catalog_line(catalog: dict[str, Any]) -> str:
    if not catalog.get("refreshed_at"):
        return "catalog: none stored yet (tickhub catalog refresh)"
    return (
        f"catalog: {catalog['instruments']} instruments from {catalog['origin'] or '?'}, "
        f"trading day {catalog['trading_day'] or '?'}, stored {catalog['refreshed_at']}"
    )


# --- tickhub universe ---------------------------------------------------------------


def list_entries(client: ApiClient, as_json: bool) -> str:
    entries = client.get("/api/universe")["entries"]
    if as_json:
        return _json(entries)
    if not entries:
        return "the universe is empty (tickhub universe add rb.SHFE)"
    return table(
        ("ENTRY", "KIND", "OPTIONS", "NOTE"),
        [(e["text"], e["kind"], "yes" if e["options"] else "-", e["note"] or "-") for e in entries],
    )


def add_entry(client: ApiClient, text: str, options: bool, note: str) -> str:
    entry = client.request(
        "POST", "/api/universe", json={"text": text, "options": options, "note": note}
    )
    extra = ", with options" if entry["options"] else ""
    return f"added {entry['text']} ({entry['kind']}{extra})"


def _find(entries: Sequence[dict[str, Any]], text: str) -> dict[str, Any]:
    exact = [e for e in entries if e["text"] == text.strip()]
    if exact:
        return exact[0]
    # rb.shfe for rb.SHFE: exchanges are written in capitals, symbols as they are.
    symbol, dot, exchange = text.strip().rpartition(".")
    spelled = f"{symbol}{dot}{exchange.upper()}" if dot else exchange.upper()
    for entry in entries:
        if entry["text"] == spelled:
            return entry
    raise CommandError(f"the universe has no entry {text!r} (tickhub universe list shows them)")


def remove_entry(client: ApiClient, text: str) -> str:
    entry = _find(client.get("/api/universe")["entries"], text)
    client.request("DELETE", f"/api/universe/{entry['id']}")
    return f"removed {entry['text']}"


def resolved(client: ApiClient, search: str, problem: str | None, as_json: bool) -> str:
    pages = []
    offset = 0
    while True:
        page = client.get(
            "/api/universe/resolved",
            search=search or None,
            problem=problem,
            offset=offset,
            limit=RESOLVED_PAGE,
        )
        pages.append(page)
        offset += len(page["contracts"])
        if offset >= page["total"] or not page["contracts"]:
            break
    result = {**pages[-1], "contracts": [c for p in pages for c in p["contracts"]]}
    if as_json:
        return _json(result)
    counts = result["counts"]
    lines = [
        f"trading day {result['trading_day']}: {counts['contracts']} contracts, "
        f"{counts['uncovered']} uncovered, {counts['single']} with a single source",
        _catalog_line(result["catalog"]),
    ]
    if result["contracts"]:
        lines.append("")
        lines.append(
            table(
                ("CONTRACT", "SOURCES", "ENTRIES"),
                [
                    (c["vt_symbol"], ",".join(c["sources"]) or "-", ",".join(c["entries"]))
                    for c in result["contracts"]
                ],
            )
        )
        if result["total"] > len(result["contracts"]):
            lines.append(f"... {result['total'] - len(result['contracts'])} more")
    elif search or problem:
        lines.append("no contract matches")
    for alias in result["aliases"]:
        lines.append(
            f"alias {alias['alias']} -> {alias['vt_symbol'] or 'not decided yet'}"
            + (f" (trading day {alias['trading_day']})" if alias["trading_day"] else "")
        )
    if result["unmatched"]:
        lines.append("matching nothing listed: " + ", ".join(result["unmatched"]))
    if result["not_listed"]:
        lines.append("not listed: " + ", ".join(result["not_listed"]))
    return "\n".join(lines)


# --- tickhub instruments, tickhub catalog -------------------------------------------


def instruments(
    client: ApiClient,
    search: str,
    exchange: str | None,
    kind: str | None,
    limit: int,
    as_json: bool,
) -> str:
    page = client.get(
        "/api/instruments",
        search=search or None,
        exchange=exchange,
        kind=kind,
        limit=limit,
    )
    if as_json:
        return _json(page)
    found = page["instruments"]
    if not found:
        return "no instrument matches\n" + _catalog_line(page["catalog"])
    rows = [(i["vt_symbol"], i["kind"], i["name"] or "-", i["expiry"] or "-") for i in found]
    shown = f"{len(found)} of {page['total']}" if page["total"] > len(found) else str(len(found))
    return "\n".join(
        [
            table(("INSTRUMENT", "KIND", "NAME", "EXPIRY"), rows),
            f"{shown} instruments; {_catalog_line(page['catalog'])}",
        ]
    )


def refresh(client: ApiClient, timeout_s: float) -> str:
    answer = client.request("POST", "/api/instruments/refresh", timeout_s=timeout_s)
    text = (
        f"catalog refreshed from {answer['origin'] or '?'}: {answer['instruments']} "
        f"instruments, trading day {answer['trading_day'] or '?'}; "
        f"{len(answer['listed'])} listed, {len(answer['expired'])} expired"
    )
    if answer["listed"]:
        text += "\nlisted: " + ", ".join(answer["listed"])
    if answer["expired"]:
        text += "\nexpired: " + ", ".join(answer["expired"])
    return text


# --- argparse -----------------------------------------------------------------------

Handler = Callable[[argparse.Namespace, Settings], int]


def _api_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api-url",
        metavar="URL",
        help="the REST API (overrides TICKHUB_API_URL; default http://TICKHUB_API_HOST:"
        "TICKHUB_API_PORT)",
    )


def _client(
    args: argparse.Namespace, settings: Settings, timeout_s: float | None = None
) -> ApiClient:
    if timeout_s is None:
        return ApiClient(settings, args.api_url)
    return ApiClient(settings, args.api_url, timeout_s=timeout_s)


def _universe(args: argparse.Namespace, settings: Settings) -> int:
    with _client(args, settings) as client:
        if args.universe_command == "list":
            print(list_entries(client, args.json))
        elif args.universe_command == "add":
            print(add_entry(client, args.text, args.options, args.note))
        elif args.universe_command == "remove":
            print(remove_entry(client, args.text))
        else:
            print(resolved(client, args.search, args.problem, args.json))
    return 0


def _instruments(args: argparse.Namespace, settings: Settings) -> int:
    with _client(args, settings) as client:
        print(instruments(client, args.search, args.exchange, args.kind, args.limit, args.json))
    return 0


def _catalog(args: argparse.Namespace, settings: Settings) -> int:
    timeout_s = settings.catalog_query_timeout_s + REFRESH_MARGIN_S
    with _client(args, settings, timeout_s) as client:
        print(refresh(client, timeout_s))
    return 0


def _limit(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 1000:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number from 1 to 1000")
    return int(value)


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``universe``, ``instruments`` and ``catalog`` (main.BUILDERS)."""
    p = commands.add_parser(
        "universe",
        help="the contract universe: list, add, remove entries; what they resolve to",
        description="The universe is what the desk trades, said once: exchanges (SHFE), "
        "products (rb.SHFE), contracts (rb2605.SHFE), main-contract aliases (rb888.SHFE) "
        "and patterns (rb26*.SHFE). The gateway resolves it against the instrument "
        "catalog every trading day and spreads it over the accounts.",
    )
    actions = p.add_subparsers(dest="universe_command", metavar="ACTION", required=True)
    q = actions.add_parser("list", help="the entries")
    q.add_argument("--json", action="store_true", help="print the api's JSON")
    _api_option(q)
    q = actions.add_parser("add", help="add an entry")
    q.add_argument(
        "text", metavar="TEXT", help="rb.SHFE, SHFE, rb2605.SHFE, rb888.SHFE, rb26*.SHFE"
    )
    q.add_argument("--options", action="store_true", help="its options are wanted too")
    q.add_argument("--note", default="", help="a note of the desk's (at most 200 characters)")
    _api_option(q)
    q = actions.add_parser("remove", help="remove an entry")
    q.add_argument("text", metavar="TEXT", help="the entry, as `tickhub universe list` shows it")
    _api_option(q)
    q = actions.add_parser(
        "resolved", help="the contracts the universe names today and the accounts carrying each"
    )
    q.add_argument("--search", default="", help="only contracts whose vt_symbol contains this")
    q.add_argument(
        "--problem",
        choices=("uncovered", "single"),
        help="only contracts no account carries (uncovered) or only one does (single)",
    )
    q.add_argument("--json", action="store_true", help="print the api's JSON (every page)")
    _api_option(q)
    p.set_defaults(handler=_universe)

    p = commands.add_parser("instruments", help="search the instrument catalog")
    p.add_argument(
        "search", nargs="?", default="", metavar="SEARCH", help="part of a vt_symbol or name"
    )
    p.add_argument("--exchange", choices=("CFFEX", "SHFE", "DCE", "CZCE", "INE", "GFEX"))
    p.add_argument("--kind", choices=("future", "option", "spread", "other"))
    p.add_argument("--limit", type=_limit, default=100, help="at most this many (100; 1-1000)")
    p.add_argument("--json", action="store_true", help="print the api's JSON")
    _api_option(p)
    p.set_defaults(handler=_instruments)

    p = commands.add_parser("catalog", help="the instrument catalog: refresh it now")
    actions = p.add_subparsers(dest="catalog_command", metavar="ACTION", required=True)
    q = actions.add_parser(
        "refresh",
        help="have the gateway list the instruments again (from a trading front or "
        "TICKHUB_CATALOG_FILE) and wait for it",
    )
    _api_option(q)
    p.set_defaults(handler=_catalog)
