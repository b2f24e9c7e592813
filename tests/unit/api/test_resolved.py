"""The pure parts of GET /api/universe/resolved: the trading day, each contract's
sources, the problem filters and paging, the aliases; and the board's main contracts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tickhub_accounts.universe_store import NO_CATALOG, CatalogMeta
from tickhub_api.live import LiveBoard
from tickhub_api.resolved import Carrier, Universe, aliases_of, page, rows_of
from tickhub_contracts.messages import MainContract
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_universe.resolve import Resolved

RESOLVED = Resolved(
    trading_day=date(2025, 12, 2),
    contracts={
        "au2606.SHFE": ("au.SHFE",),
        "rb2601.SHFE": ("rb.SHFE", "rb888.SHFE"),
        "rb2605.SHFE": ("rb.SHFE", "rb888.SHFE"),
        "rb2610.SHFE": ("rb.SHFE", "rb888.SHFE"),
    },
    products={},
    aliases={"rb888.SHFE": "rb.SHFE"},
    unmatched=(),
    not_listed=(),
)


def test_the_trading_day_is_the_clocks_or_the_catalogs_if_later() -> None:
    friday_night = datetime(2025, 12, 5, 21, 0, tzinfo=CHINA_TZ)
    assert NO_CATALOG.resolution_day(friday_night) == date(2025, 12, 8)
    later = CatalogMeta(
        origin="ctp", trading_day=date(2025, 12, 9), refreshed_at=None, instruments=1
    )
    assert later.resolution_day(friday_night) == date(2025, 12, 9)
    earlier = CatalogMeta(
        origin="ctp", trading_day=date(2025, 12, 1), refreshed_at=None, instruments=1
    )
    assert earlier.resolution_day(friday_night) == date(2025, 12, 8)


def _universe() -> Universe:
    carriers = [
        Carrier("sim-b", 2, ("au2606.SHFE",), "rb2605.SHFE"),
        Carrier("sim-a", 1, ("rb2601.SHFE", "rb2610.SHFE", "m2605.DCE"), "rb2605.SHFE"),
        Carrier("sim-c", 1, ("rb2610.SHFE",), "IF2512.CFFEX"),
    ]
    kinds = {"rb2601.SHFE": ("future", date(2026, 1, 15))}
    rows, uncovered, single = rows_of(RESOLVED, kinds, carriers)
    return Universe(RESOLVED, NO_CATALOG, rows, uncovered, single)


def test_sources_are_preferred_first_and_problems_counted() -> None:
    universe = _universe()
    assert [(r.vt_symbol, r.sources) for r in universe.rows] == [
        ("au2606.SHFE", ("sim-b",)),
        ("rb2601.SHFE", ("sim-a",)),
        ("rb2605.SHFE", ("sim-a", "sim-b")),  # both canaries
        ("rb2610.SHFE", ("sim-a", "sim-c")),  # same priority: by name
    ]
    assert (universe.uncovered, universe.single) == (0, 2)
    assert (universe.rows[1].kind, universe.rows[1].expiry) == ("future", date(2026, 1, 15))
    assert (universe.rows[0].kind, universe.rows[0].expiry) == ("", None)


def test_pages_filter_by_search_and_problem() -> None:
    universe = _universe()
    assert page(universe, "", None, 0, 2)[0] == 4
    assert [r.vt_symbol for r in page(universe, "", None, 1, 2)[1]] == [
        "rb2601.SHFE",
        "rb2605.SHFE",
    ]
    total, rows = page(universe, "RB26", "single", 0, 10)
    assert (total, [r.vt_symbol for r in rows]) == (1, ["rb2601.SHFE"])
    assert page(universe, "", "uncovered", 0, 10) == (0, [])
    assert page(universe, "", None, 10, 10) == (4, [])


def test_aliases_name_the_decided_contract() -> None:
    main = MainContract(
        alias="rb888.SHFE",
        vt_symbol="rb2605.SHFE",
        trading_day=date(2025, 12, 2),
        decided_at=datetime(2025, 12, 1, 15, 30, tzinfo=UTC),
    )
    assert aliases_of(RESOLVED, {}) == [
        {"alias": "rb888.SHFE", "product": "rb.SHFE", "vt_symbol": None, "trading_day": None}
    ]
    assert aliases_of(RESOLVED, {"rb888.SHFE": main}) == [
        {
            "alias": "rb888.SHFE",
            "product": "rb.SHFE",
            "vt_symbol": "rb2605.SHFE",
            "trading_day": date(2025, 12, 2),
        }
    ]


def test_the_board_keeps_the_newest_decision_per_alias() -> None:
    board = LiveBoard()
    at = datetime(2025, 12, 1, 15, 30, tzinfo=UTC)
    first = MainContract(
        alias="rb888.SHFE", vt_symbol="rb2601.SHFE", trading_day=date(2025, 12, 1), decided_at=at
    )
    second = MainContract(
        alias="rb888.SHFE",
        vt_symbol="rb2605.SHFE",
        trading_day=date(2025, 12, 2),
        decided_at=at + timedelta(days=1),
    )
    assert board.take_main(first)
    assert not board.take_main(first)  # the same again: no news
    assert board.take_main(second)
    assert not board.take_main(first)  # older: kept out
    assert board.main_contracts["rb888.SHFE"] == second
    naive = MainContract(
        alias="au888.SHFE",
        vt_symbol="au2606.SHFE",
        trading_day=date(2025, 12, 2),
        decided_at=datetime(2025, 12, 2, 9),
    )
    assert not board.take_main(naive)
    assert board.drop_main("rb888.SHFE") and not board.main_contracts
