"""The front's instrument struct: the delivery month of what it lists."""

from __future__ import annotations

from datetime import date

from tickhub_contracts.messages import Instrument
from tickhub_gateway.localctp.front.instruments import delivery


def test_the_delivery_month_comes_from_the_symbol() -> None:
    def at(symbol: str, expiry: date) -> tuple[int, int]:
        return delivery(Instrument(vt_symbol=f"{symbol}.X", symbol=symbol, exchange="X",
                                   product="p", expiry=expiry))  # fmt: skip

    assert at("rb2605", date(2026, 5, 15)) == (2026, 5)
    assert at("sc2605", date(2026, 4, 30)) == (2026, 5)  # expires the month before
    assert at("SR605", date(2026, 5, 19)) == (2026, 5)  # CZCE: the decade from the expiry
    assert at("SR001", date(2029, 12, 14)) == (2030, 1)
    assert at("spread", date(2026, 7, 1)) == (2026, 7)  # no digits: the expiry's
