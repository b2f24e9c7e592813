"""An unknown product is a warning naming it, once per product per process
(tickhub_markets.unknown)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tickhub_markets.unknown import forget_warnings, warn_if_unknown


class Lines:
    """A log that keeps its warnings."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def warning(self, msg: str, /, *args: object) -> None:
        self.lines.append(msg % args)


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    forget_warnings()
    yield
    forget_warnings()


def test_an_unknown_product_is_warned_about_once() -> None:
    log = Lines()
    assert warn_if_unknown("zz2605.SHFE", log)
    assert not warn_if_unknown("zz2605.SHFE", log)
    assert not warn_if_unknown("zz2609.SHFE", log)  # another contract of the same product
    assert not warn_if_unknown("ZZ2609.shfe", log)  # the same, in other letters
    [line] = log.lines
    assert "'zz'" in line and "zz2605.SHFE" in line and "SHFE" in line
    assert "day session only" in line


def test_each_unknown_product_and_exchange_is_warned_about() -> None:
    log = Lines()
    assert warn_if_unknown("zz2605.SHFE", log)
    assert warn_if_unknown("zz2605.DCE", log)  # the same letters on another exchange
    assert warn_if_unknown("qq2605.SHFE", log)
    assert warn_if_unknown("rb2605.LME", log)  # an exchange the table does not have
    assert len(log.lines) == 4


@pytest.mark.parametrize(
    "vt_symbol",
    ["rb2605.SHFE", "ad2605.SHFE", "SR605.CZCE", "m2605-C-3000.DCE", "ps2606.GFEX", "TL2603.CFFEX"],
)
def test_a_known_product_is_never_warned_about(vt_symbol: str) -> None:
    log = Lines()
    assert not warn_if_unknown(vt_symbol, log)
    assert log.lines == []


def test_a_malformed_symbol_is_warned_about_once() -> None:
    log = Lines()
    assert warn_if_unknown("rb2605", log)
    assert not warn_if_unknown("rb2605", log)
    [line] = log.lines
    assert "rb2605" in line and "SYMBOL.EXCHANGE" in line


def test_a_logger_takes_the_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="tickhub.test"):
        warn_if_unknown("zz2605.SHFE", logging.getLogger("tickhub.test"))
        warn_if_unknown("zz2605.SHFE", logging.getLogger("tickhub.test"))
    [record] = caplog.records
    assert record.levelno == logging.WARNING and "'zz'" in record.getMessage()
