"""`tickhub universe|instruments|catalog`: the parser, where the api and its token are
found, what is printed, and every failure as one line (the api faked by httpx)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tickhub_cli import apiclient, main, universe
from tickhub_cli.apiclient import ApiClient, api_token, api_url
from tickhub_cli.control import CommandError
from tickhub_runtime.settings import Settings

parse = main.build_parser().parse_args
TOKEN = "cli-test-token-0123456789"
BAD = "universe entry 'rb.LME': unknown exchange 'LME'"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("TICKHUB_API_URL", raising=False)
    return Settings(_env_file=None, data_dir=tmp_path, api_token=SecretStr(TOKEN), api_port=8123)


Handler = Callable[[httpx.Request], httpx.Response]


def client(settings: Settings, handler: Handler) -> ApiClient:
    return ApiClient(settings, transport=httpx.MockTransport(handler))


def problem(status: int, detail: str) -> httpx.Response:
    return httpx.Response(
        status, json={"type": "x", "title": "x", "status": status, "detail": detail}
    )


ENTRY = {
    "id": 4,
    "text": "rb.SHFE",
    "kind": "product",
    "options": False,
    "note": "",
    "created_at": "2026-12-01T01:02:03Z",
    "updated_at": "2026-12-01T01:02:03Z",
}
CATALOG = {
    "origin": "ctp-main",
    "trading_day": "2025-12-02",
    "refreshed_at": "2025-12-01T12:30:00Z",
    "instruments": 8,
}


def test_the_commands_parse() -> None:
    args = parse(["universe", "add", "rb.SHFE", "--options", "--note", "steel"])
    assert (args.handler, args.universe_command, args.text, args.options, args.note) == (
        universe._universe,
        "add",
        "rb.SHFE",
        True,
        "steel",
    )
    args = parse(["universe", "resolved", "--problem", "single", "--api-url", "http://h:1"])
    assert (args.problem, args.api_url, args.search) == ("single", "http://h:1", "")
    args = parse(["instruments", "rb26", "--exchange", "SHFE"])
    assert (args.handler, args.search, args.exchange, args.limit) == (
        universe._instruments,
        "rb26",
        "SHFE",
        100,
    )
    assert parse(["catalog", "refresh"]).handler is universe._catalog


@pytest.mark.parametrize(
    "argv",
    [
        ["universe"],
        ["universe", "add"],
        ["universe", "resolved", "--problem", "broken"],
        ["instruments", "--exchange", "LME"],
        ["instruments", "--limit", "0"],
        ["catalog"],
    ],
)
def test_bad_usage_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse(argv)
    assert exit_.value.code == 2


def test_the_api_is_found(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    assert api_url(settings) == "http://127.0.0.1:8123"
    assert api_url(settings.model_copy(update={"api_host": "0.0.0.0"})) == "http://127.0.0.1:8123"
    assert api_url(settings.model_copy(update={"api_host": "::1"})) == "http://[::1]:8123"
    monkeypatch.setenv("TICKHUB_API_URL", "http://hub:9000/")
    assert api_url(settings) == "http://hub:9000"
    assert api_url(settings, "https://other") == "https://other"
    with pytest.raises(CommandError, match="must start with http"):
        api_url(settings, "hub:9000")


def test_the_token_is_found_as_the_api_finds_it_and_never_made(
    settings: Settings, tmp_path: Path
) -> None:
    assert api_token(settings) == TOKEN
    bare = settings.model_copy(update={"api_token": None})
    with pytest.raises(CommandError, match=r"no api token: .*api-token does not exist"):
        api_token(bare)
    assert not (tmp_path / "api-token").exists()
    (tmp_path / "api-token").write_text("from-the-data-dir-0123456789\n")
    assert api_token(bare) == "from-the-data-dir-0123456789"
    file = tmp_path / "secret"
    file.write_text("from-a-file-0123456789")
    assert api_token(bare.model_copy(update={"api_token_file": file})) == "from-a-file-0123456789"


def test_the_token_is_sent(settings: Settings) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        return httpx.Response(200, json={"entries": []})

    with client(settings, handler) as api:
        assert universe.list_entries(api, False).startswith("the universe is empty")
    assert seen == [f"Bearer {TOKEN}"]


@pytest.mark.parametrize(
    ("response", "says"),
    [
        (
            httpx.Response(401, json={"detail": "a valid bearer token is required"}),
            "refused the token (401)",
        ),
        (
            problem(422, f"text: Value error, {BAD}; an entry is ..."),
            f"text: Value error, {BAD}; an entry is ...",
        ),
        (
            problem(409, "the universe has the entry 'rb.SHFE' already"),
            "has the entry 'rb.SHFE' already",
        ),
        (
            problem(503, "the database is unavailable;\n try again shortly"),
            "unavailable; try again",
        ),
        (
            httpx.Response(500, text="<html>oops</html>"),
            "500 Internal Server Error: <html>oops</html>",
        ),
    ],
)
def test_a_refusal_is_one_line(settings: Settings, response: httpx.Response, says: str) -> None:
    with client(settings, lambda request: response) as api, pytest.raises(CommandError) as error:
        universe.add_entry(api, "rb.LME", False, "")
    assert says in str(error.value)
    assert "\n" not in str(error.value)


def test_an_api_that_is_not_there_is_one_line(settings: Settings) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    with client(settings, refuse) as api, pytest.raises(CommandError) as error:
        universe.list_entries(api, False)
    assert str(error.value).startswith("cannot reach the api at http://127.0.0.1:8123 ([Errno 111]")


def test_main_prints_errors_in_one_line_with_exit_1(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TICKHUB_API_TOKEN", TOKEN)
    assert main.main(["universe", "list", "--api-url", "http://127.0.0.1:1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tickhub: cannot reach the api at http://127.0.0.1:1 (")
    assert err.count("\n") == 1


def test_entries_are_listed_added_and_removed(settings: Settings) -> None:
    calls: list[tuple[str, str, Any]] = []
    entries = [ENTRY, {**ENTRY, "id": 5, "text": "au.SHFE", "options": True, "note": "gold"}]

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        calls.append((request.method, request.url.path, body))
        if request.method == "GET":
            return httpx.Response(200, json={"entries": entries})
        if request.method == "POST":
            assert body is not None
            return httpx.Response(201, json={**ENTRY, **body, "kind": "alias"})
        return httpx.Response(204)

    with client(settings, handler) as api:
        assert universe.list_entries(api, False).splitlines() == [
            "ENTRY    KIND     OPTIONS  NOTE",
            "rb.SHFE  product  -        -",
            "au.SHFE  product  yes      gold",
        ]
        assert json.loads(universe.list_entries(api, True)) == entries
        assert universe.add_entry(api, "rb888.SHFE", True, "main") == (
            "added rb888.SHFE (alias, with options)"
        )
        assert universe.remove_entry(api, "au.shfe") == "removed au.SHFE"
        with pytest.raises(CommandError, match=r"has no entry 'zz\.SHFE'"):
            universe.remove_entry(api, "zz.SHFE")
    assert (
        "POST",
        "/api/universe",
        {"text": "rb888.SHFE", "options": True, "note": "main"},
    ) in calls
    assert ("DELETE", "/api/universe/5", None) in calls


def _contract(vt: str, sources: list[str]) -> dict[str, Any]:
    return {
        "vt_symbol": vt,
        "entries": ["rb.SHFE"],
        "sources": sources,
        "kind": "future",
        "expiry": None,
    }


def test_resolved_reads_every_page(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(universe, "RESOLVED_PAGE", 2)
    contracts = [
        _contract("rb2601.SHFE", ["sim-a"]),
        _contract("rb2605.SHFE", ["sim-a", "sim-b"]),
        _contract("rb2610.SHFE", []),
    ]
    asked: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        asked.append(params)
        offset, limit = int(params["offset"]), int(params["limit"])
        return httpx.Response(
            200,
            json={
                "trading_day": "2025-12-02",
                "catalog": CATALOG,
                "total": 3,
                "counts": {"contracts": 3, "uncovered": 1, "single": 1},
                "contracts": contracts[offset : offset + limit],
                "aliases": [
                    {
                        "alias": "rb888.SHFE",
                        "product": "rb.SHFE",
                        "vt_symbol": "rb2605.SHFE",
                        "trading_day": "2025-12-02",
                    }
                ],
                "unmatched": ["zz.SHFE"],
                "not_listed": [],
            },
        )

    with client(settings, handler) as api:
        text = universe.resolved(api, "rb", None, False)
    assert [a["offset"] for a in asked] == ["0", "2"] and asked[0]["search"] == "rb"
    assert text.splitlines() == [
        "trading day 2025-12-02: 3 contracts, 1 uncovered, 1 with a single source",
        "catalog: 8 instruments from ctp-main, trading day 2025-12-02, stored 2025-12-01T12:30:00Z",
        "",
        "CONTRACT     SOURCES      ENTRIES",
        "rb2601.SHFE  sim-a        rb.SHFE",
        "rb2605.SHFE  sim-a,sim-b  rb.SHFE",
        "rb2610.SHFE  -            rb.SHFE",
        "alias rb888.SHFE -> rb2605.SHFE (trading day 2025-12-02)",
        "matching nothing listed: zz.SHFE",
    ]


def test_instruments_and_refresh_are_printed(settings: Settings) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/instruments":
            assert dict(request.url.params) == {"search": "rb", "exchange": "SHFE", "limit": "2"}
            instrument = {
                "vt_symbol": "rb2605.SHFE",
                "kind": "future",
                "name": "螺纹钢2605",
                "expiry": "2026-05-15",
            }
            return httpx.Response(
                200, json={"total": 4, "catalog": CATALOG, "instruments": [instrument]}
            )
        return httpx.Response(
            200,
            json={
                "ok": True,
                "origin": "ctp-main",
                "trading_day": "2025-12-02",
                "instruments": 8,
                "listed": ["rb2612.SHFE"],
                "expired": [],
                "at": None,
                "error": "",
            },
        )

    with client(settings, handler) as api:
        assert universe.instruments(api, "rb", "SHFE", None, 2, False).splitlines() == [
            "INSTRUMENT   KIND    NAME        EXPIRY",
            "rb2605.SHFE  future  螺纹钢2605  2026-05-15",
            "1 of 4 instruments; catalog: 8 instruments from ctp-main, trading day 2025-12-02, "
            "stored 2025-12-01T12:30:00Z",
        ]
        assert universe.refresh(api, 5).splitlines() == [
            "catalog refreshed from ctp-main: 8 instruments, trading day 2025-12-02; 1 listed, "
            "0 expired",
            "listed: rb2612.SHFE",
        ]


def test_a_missing_module_constant_is_not_relied_on() -> None:
    # The refresh waits longer than the gateway's own query timeout.
    assert universe.REFRESH_MARGIN_S > 0 and apiclient.TIMEOUT_S > 0
