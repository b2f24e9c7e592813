"""Instruments for the universe's tests: one at a time, or a whole market's worth."""

from __future__ import annotations

from datetime import date, timedelta

from tickhub_contracts.messages import Instrument, InstrumentKind, OptionType
from tickhub_universe.entries import product_of

TODAY = date(2026, 3, 2)


def instrument(
    vt_symbol: str,
    kind: InstrumentKind = "future",
    *,
    product: str = "",
    listed: date | None = None,
    expiry: date | None = None,
    underlying: str = "",
    option_type: OptionType = "",
    strike: float | None = None,
    name: str = "",
) -> Instrument:
    symbol, _, exchange = vt_symbol.rpartition(".")
    return Instrument(
        vt_symbol=vt_symbol,
        symbol=symbol,
        exchange=exchange,
        product=product or product_of(symbol),
        kind=kind,
        name=name,
        listed=listed,
        expiry=expiry,
        underlying=underlying,
        option_type=option_type,
        strike=strike,
    )


def option(
    underlying: str,
    option_type: OptionType,
    strike: int,
    *,
    listed: date | None = None,
    expiry: date | None = None,
) -> Instrument:
    """SHFE's spelling (``au2606C500``) on every exchange: the tests need not care."""
    symbol, _, exchange = underlying.rpartition(".")
    letter = "C" if option_type == "call" else "P"
    return instrument(
        f"{symbol}{letter}{strike}.{exchange}",
        "option",
        product=f"{product_of(symbol)}_o",
        underlying=underlying,
        option_type=option_type,
        strike=float(strike),
        listed=listed,
        expiry=expiry,
    )


# Products per exchange for a whole market; the first few of each have options.
PRODUCTS = {
    "SHFE": ["rb", "cu", "al", "zn", "au", "ag", "ru", "hc", "ni", "sn", "ss", "fu", "bu", "sp"],
    "DCE": ["m", "y", "a", "c", "i", "j", "jm", "p", "l", "v", "pp", "eg", "eb", "pg", "cs"],
    "CZCE": ["SR", "CF", "TA", "MA", "RM", "OI", "FG", "SA", "UR", "AP", "CJ", "PK", "SF", "SM"],
    "CFFEX": ["IF", "IH", "IC", "IM", "T", "TF", "TS", "TL"],
    "INE": ["sc", "lu", "nr", "bc", "ec"],
    "GFEX": ["si", "lc", "ps"],
}
OPTION_PRODUCTS = 8
STRIKES = 44
OPTION_TYPES: tuple[OptionType, ...] = ("call", "put")


def month_symbol(exchange: str, product: str, year: int, month: int) -> str:
    digits = f"{year % 10}{month:02d}" if exchange == "CZCE" else f"{year % 100:02d}{month:02d}"
    return product + digits


def whole_market(today: date = TODAY) -> list[Instrument]:
    """Every exchange's futures for 12 months from ``today``, plus one expired month
    and one not yet listed per product, and options with 2 x 44 strikes on every month
    of the first products of each exchange: ~40,000 instruments, like CTP's answer."""
    found: list[Instrument] = []
    for exchange, products in PRODUCTS.items():
        for n, product in enumerate(products):
            for ahead in range(-1, 13):
                year, month = divmod(today.year * 12 + today.month - 1 + ahead, 12)
                month += 1
                symbol = month_symbol(exchange, product, year, month)
                expiry = date(year, month, 15)
                listed = expiry - timedelta(days=365) if ahead < 12 else today + timedelta(1)
                vt = f"{symbol}.{exchange}"
                found.append(instrument(vt, listed=listed, expiry=expiry))
                if n < OPTION_PRODUCTS and exchange != "CFFEX":
                    for strike in range(STRIKES):
                        for kind in OPTION_TYPES:
                            found.append(
                                option(
                                    vt,
                                    kind,
                                    1000 + 50 * strike,
                                    listed=listed,
                                    expiry=expiry - timedelta(days=5),
                                )
                            )
    return found
