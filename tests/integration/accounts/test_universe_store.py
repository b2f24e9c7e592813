"""The store functions the gateway manager calls (tickhub_accounts.universe_store):
the universe's entries, the catalog replaced in bulk, the allocation."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import msgspec
import pytest

from tickhub_accounts import universe_store
from tickhub_accounts.models import (
    Allocation,
    CatalogInstrument,
    MarketDataAccount,
    UniverseEntry,
)
from tickhub_accounts.universe_store import (
    CatalogDiff,
    CatalogMeta,
    load_allocation,
    load_catalog,
    replace_catalog,
    store_allocation,
    universe_entries,
)
from tickhub_api import migrate
from tickhub_contracts.messages import Instrument

AT = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)
DAY = date(2026, 12, 2)


def future(vt_symbol: str, **fields: object) -> Instrument:
    symbol, exchange = vt_symbol.split(".")
    product = symbol.rstrip("0123456789")
    values: dict[str, object] = {
        "vt_symbol": vt_symbol,
        "symbol": symbol,
        "exchange": exchange,
        "product": product,
        "name": f"{product} {symbol}",
        "expiry": date(2026, 5, 15),
        "listed": date(2025, 5, 16),
        "tick_size": 1.0,
        "multiplier": 10.0,
    }
    values.update(fields)
    return Instrument(**values)  # type: ignore[arg-type]


def market(count: int) -> list[Instrument]:
    """``count`` instruments, about a whole market's worth of options on few futures."""
    instruments = []
    for i in range(count):
        if i % 20 == 0:
            instruments.append(future(f"p{i // 20}2605.DCE"))
        else:
            underlying = f"p{i // 20}2605.DCE"
            strike = 1000 + i
            instruments.append(
                Instrument(
                    vt_symbol=f"p{i // 20}2605-C-{strike}.DCE",
                    symbol=f"p{i // 20}2605-C-{strike}",
                    exchange="DCE",
                    product=f"p{i // 20}_o",
                    kind="option",
                    name=f"option {i}",
                    expiry=date(2026, 4, 8),
                    tick_size=0.5,
                    multiplier=10.0,
                    underlying=underlying,
                    option_type="call",
                    strike=float(strike),
                )
            )
    return instruments


async def _account(name: str, **fields: Any) -> MarketDataAccount:
    return await MarketDataAccount.create(
        name=name,
        gateway_type="sim",
        priority=1,
        canary="rb2605.SHFE",
        settings={},
        **fields,
    )


async def test_an_empty_database_has_no_catalog_entries_or_allocation(db: str) -> None:
    assert await universe_entries() == []
    assert await load_catalog() == ([], universe_store.NO_CATALOG)
    assert await load_allocation() == {}


async def test_entries_are_parsed_and_a_bad_stored_one_is_skipped(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    await UniverseEntry.create(text="rb.SHFE", kind="product", options=True)
    await UniverseEntry.create(text="rb888.SHFE", kind="alias")
    await UniverseEntry.create(text="nonsense!", kind="product")  # written by hand
    entries = await universe_entries()
    assert [(e.text, e.kind, e.options) for e in entries] == [
        ("rb.SHFE", "product", True),
        ("rb888.SHFE", "alias", False),
    ]
    assert "nonsense!" in caplog.text


async def test_replace_catalog_inserts_updates_and_deletes(db: str) -> None:
    first = [future("rb2605.SHFE"), future("rb2610.SHFE"), future("au2606.SHFE")]
    diff = await replace_catalog(first, origin="ctp-main", trading_day=DAY, at=AT)
    assert diff == CatalogDiff(
        listed=["au2606.SHFE", "rb2605.SHFE", "rb2610.SHFE"], expired=[], changed=0, total=3
    )
    instruments, meta = await load_catalog()
    assert instruments == sorted(first, key=lambda i: i.vt_symbol)
    assert meta == CatalogMeta(origin="ctp-main", trading_day=DAY, refreshed_at=AT, instruments=3)

    later = datetime(2026, 12, 2, 0, 30, tzinfo=UTC)
    second = [
        future("rb2610.SHFE", name="螺纹钢2610", tick_size=2.0),  # changed
        future("au2606.SHFE"),  # unchanged
        future("rb2611.SHFE", expiry=None, listed=None),  # new
    ]
    diff = await replace_catalog(second, origin="file", trading_day=None, at=later)
    assert diff == CatalogDiff(listed=["rb2611.SHFE"], expired=["rb2605.SHFE"], changed=1, total=3)
    instruments, meta = await load_catalog()
    assert instruments == sorted(second, key=lambda i: i.vt_symbol)
    assert meta == CatalogMeta(origin="file", trading_day=None, refreshed_at=later, instruments=3)

    # The same catalog again: nothing changes but the state's time.
    again = await replace_catalog(second, origin="file", trading_day=None, at=AT)
    assert again == CatalogDiff(listed=[], expired=[], changed=0, total=3)


async def test_replace_catalog_is_one_transaction(db: str) -> None:
    await replace_catalog([future("rb2605.SHFE")], origin="ctp-main", trading_day=DAY, at=AT)
    # A kind the table refuses (its CHECK) fails the insert: nothing of it is kept.
    bad = msgspec.structs.replace(future("rb2610.SHFE"), kind="swap")
    with pytest.raises(Exception):  # noqa: B017 - the database's error, whatever wraps it
        await replace_catalog([future("au2606.SHFE"), bad], origin="other", trading_day=None, at=AT)
    instruments, meta = await load_catalog()
    assert [i.vt_symbol for i in instruments] == ["rb2605.SHFE"]
    assert meta.origin == "ctp-main"


async def test_an_instrument_too_long_for_its_columns_is_left_out(db: str) -> None:
    long = "x" * 70
    diff = await replace_catalog(
        [future("rb2605.SHFE", name="n" * 300), future(f"{long}.SHFE")],
        origin="file",
        trading_day=None,
        at=AT,
    )
    assert diff.total == 1
    instruments, _ = await load_catalog()
    assert [(i.vt_symbol, len(i.name)) for i in instruments] == [("rb2605.SHFE", 100)]


async def test_a_whole_market_is_replaced_in_seconds(db: str) -> None:
    instruments = market(40_000)
    started = time.monotonic()
    diff = await replace_catalog(instruments, origin="ctp-main", trading_day=DAY, at=AT)
    first_s = time.monotonic() - started
    assert diff.total == 40_000 and len(diff.listed) == 40_000

    # The next day: a tenth changed, a few hundred expired and as many listed.
    changed = [
        msgspec.structs.replace(i, tick_size=i.tick_size + 1) if n % 10 == 0 else i
        for n, i in enumerate(instruments[500:])
    ]
    nextday = changed + market(40_500)[40_000:]
    started = time.monotonic()
    diff = await replace_catalog(nextday, origin="ctp-main", trading_day=DAY, at=AT)
    second_s = time.monotonic() - started
    assert (len(diff.expired), len(diff.listed)) == (500, 500)
    assert diff.changed == len(range(0, 39_500, 10))

    started = time.monotonic()
    loaded, meta = await load_catalog()
    load_s = time.monotonic() - started
    assert len(loaded) == meta.instruments == 40_000
    assert await CatalogInstrument.all().count() == 40_000
    print(f"replace: {first_s:.2f} s, then {second_s:.2f} s; load: {load_s:.2f} s")
    assert first_s < 5 and second_s < 5 and load_s < 3, (first_s, second_s, load_s)


async def test_allocation_is_stored_and_replaced(db: str) -> None:
    a = await _account("sim-a")
    b = await _account("sim-b")
    c = await _account("sim-c")
    await store_allocation({a.id: ["rb2605.SHFE", "rb2610.SHFE"], b.id: ["rb2605.SHFE"]})
    assert await load_allocation() == {
        a.id: ["rb2605.SHFE", "rb2610.SHFE"],
        b.id: ["rb2605.SHFE"],
    }
    row_a = await Allocation.get(account_id=a.id)

    # a unchanged (its row untouched), b dropped, c new, a deleted account skipped.
    await store_allocation({a.id: ["rb2605.SHFE", "rb2610.SHFE"], c.id: [], 9999: ["x.SHFE"]})
    assert await load_allocation() == {a.id: ["rb2605.SHFE", "rb2610.SHFE"], c.id: []}
    assert (await Allocation.get(account_id=a.id)).updated_at == row_a.updated_at

    await store_allocation({a.id: ["au2606.SHFE"]})
    assert await load_allocation() == {a.id: ["au2606.SHFE"]}
    assert (await Allocation.get(account_id=a.id)).updated_at > row_a.updated_at

    await a.delete()  # the database drops its allocation with it
    assert await load_allocation() == {}


async def test_a_second_allocation_row_for_an_account_is_refused(db: str) -> None:
    a = await _account("sim-a")
    await store_allocation({a.id: ["rb2605.SHFE"]})
    connection = await asyncpg.connect(**migrate.connect_args(db, 10))
    try:
        with pytest.raises(asyncpg.UniqueViolationError):
            await connection.execute(
                "INSERT INTO allocations (account_id, contracts, updated_at)"
                " VALUES ($1, '[]', now())",
                a.id,
            )
    finally:
        await connection.close()
