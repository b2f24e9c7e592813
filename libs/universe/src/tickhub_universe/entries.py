"""Universe entries: how a desk says, once and by pattern, what it trades.

The universe is a list of entries; each is resolved against the catalog on every
trading day (:mod:`.resolve`), so a desk that writes ``rb.SHFE`` never edits its list
when rb2610 is listed or rb2605 expires. The forms (docs/universe.md):

- ``SHFE``: an exchange, every future listed on it;
- ``rb.SHFE``: a product (letters only before the dot), every month of it;
- ``rb2605.SHFE``, ``SR605.CZCE``: one contract (letters, then a digit, then what the
  exchange's symbol has: ``au2606C500``, ``m2605-C-3000`` are contracts too);
- ``rb888.SHFE``: the product's main-contract alias (:data:`ALIAS_MONTH`), which
  brings every month of the product, since any of them may become the main one;
- anything with ``*``, ``?`` or ``[...]``: a pattern, matched (``fnmatch``, case
  sensitive) against the symbol, on one exchange or on every one (``*``):
  ``rb26*.SHFE``, ``*.GFEX``, ``IF*.*``.

Symbols keep the case they are written in (CTP's are case sensitive: ``rb`` on SHFE,
``SR`` on CZCE); exchanges are upper-cased. A symbol is made of letters, digits, ``-``
and ``_`` only, as every NATS subject token and bucket key is
(:func:`tickhub_contracts.subjects.token`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

EntryKind = Literal["contract", "product", "exchange", "pattern", "alias"]

EXCHANGES = ("CFFEX", "CZCE", "DCE", "GFEX", "INE", "SHFE")
"""The Chinese futures exchanges, as vnpy spells them in a vt_symbol."""

ALIAS_MONTH = "888"
"""The month of a main-contract alias: ``rb888.SHFE`` is rb's main contract, the
"888 = main continuous" convention RQData's and vnpy's users already know."""

MAX_ENTRY = 64
"""Longest entry text accepted: a symbol is at most a 64-character token anyway."""

FORMS = (
    "an entry is an exchange (SHFE), a product (rb.SHFE), a contract (rb2605.SHFE), "
    "a main-contract alias (rb888.SHFE) or a pattern (rb26*.SHFE, *.GFEX, IF*.*) "
    f"on {', '.join(EXCHANGES[:-1])} or {EXCHANGES[-1]}"
)

_PRODUCT = re.compile(r"[A-Za-z]+")
_ALIAS = re.compile(r"([A-Za-z]+)" + ALIAS_MONTH)
_CONTRACT = re.compile(r"[A-Za-z]+[0-9][A-Za-z0-9_-]*")
_SYMBOL_CHARS = re.compile(r"[A-Za-z0-9_-]+")
# Token characters and the wildcards; a bracket holds token characters (ranges as 0-5).
_PATTERN = re.compile(r"(?:[A-Za-z0-9_*?-]|\[[A-Za-z0-9_-]+\])+")
_WILDCARDS = re.compile(r"[*?\[\]]")
_LEADING_LETTERS = re.compile(r"[A-Za-z]*")
_MONTH = re.compile(r"[A-Za-z]+([0-9]{3,4})(?![0-9])")
_ALIAS_VT = re.compile(r"([A-Za-z]+)" + ALIAS_MONTH + r"\.([A-Z]+)")


class EntryError(ValueError):
    """An entry that is none of the accepted forms; the message names the entry, what
    is wrong with it and the forms accepted, in one sentence for the operator."""


@dataclass(frozen=True)
class Entry:
    """One parsed universe entry.

    ``text`` is the entry in its canonical spelling (stripped, exchange upper-cased),
    so that ``rb.shfe`` and ``rb.SHFE`` are one entry. ``exchange`` is ``*`` only for a
    pattern on every exchange. ``symbol`` is set for a contract and an alias (its
    ``rb888``), ``product`` for a product, a contract and an alias, ``pattern`` for a
    pattern (the symbol part). ``options``: the options on what the entry names are
    wanted too (exchange, product and pattern entries; the others ignore it).
    """

    text: str
    kind: EntryKind
    exchange: str
    symbol: str = ""
    product: str = ""
    pattern: str = ""
    options: bool = False


def _error(text: str, what: str) -> EntryError:
    return EntryError(f"universe entry {text!r}: {what}; {FORMS}")


def parse_entry(text: str, *, options: bool = False) -> Entry:
    """Read one entry as the desk typed it; :class:`EntryError` when it is none of the
    forms (see the module's docstring)."""
    stripped = text.strip()
    if not stripped:
        raise _error(text, "it is empty")
    if len(stripped) > MAX_ENTRY:
        raise _error(stripped[:MAX_ENTRY] + "...", f"it is longer than {MAX_ENTRY} characters")
    symbol, dot, exchange_part = stripped.rpartition(".")
    if not dot:
        exchange = stripped.upper()
        if exchange in EXCHANGES:
            return Entry(exchange, "exchange", exchange, options=options)
        if _WILDCARDS.search(stripped):
            raise _error(stripped, "a pattern needs its exchange after a dot (or .*)")
        raise _error(stripped, f"{stripped} is not an exchange")
    exchange = exchange_part.upper()
    if exchange != "*" and exchange not in EXCHANGES:
        if _WILDCARDS.search(exchange_part):
            raise _error(stripped, "a pattern's exchange is one exchange or *")
        raise _error(stripped, f"unknown exchange {exchange_part!r}")
    if not symbol:
        raise _error(stripped, "the symbol before the dot is missing")
    if "." in symbol:
        raise _error(stripped, "it has more than one dot")
    canonical = f"{symbol}.{exchange}"
    if exchange == "*" or _WILDCARDS.search(symbol):
        return _pattern(canonical, symbol, exchange, options)
    if not _SYMBOL_CHARS.fullmatch(symbol):
        raise _error(stripped, "a symbol has only letters, digits, '-' and '_'")
    if _PRODUCT.fullmatch(symbol):
        return Entry(canonical, "product", exchange, product=symbol, options=options)
    alias = _ALIAS.fullmatch(symbol)
    if alias:
        return Entry(canonical, "alias", exchange, symbol=symbol, product=alias[1], options=options)
    if _CONTRACT.fullmatch(symbol):
        return Entry(
            canonical,
            "contract",
            exchange,
            symbol=symbol,
            product=product_of(symbol),
            options=options,
        )
    raise _error(stripped, "a symbol begins with its product's letters")


def _pattern(canonical: str, symbol: str, exchange: str, options: bool) -> Entry:
    if not _PATTERN.fullmatch(symbol):
        raise _error(
            canonical,
            "a pattern has letters, digits, '-', '_', '*', '?' and [...] of those only",
        )
    # ``rb.*`` would match a contract named exactly "rb": a trap, never a wish.
    if not _WILDCARDS.search(symbol) and (_PRODUCT.fullmatch(symbol) or _ALIAS.fullmatch(symbol)):
        raise _error(
            canonical,
            f"on every exchange it would match only a symbol named {symbol}; "
            f"write {symbol}.EXCHANGE, or {symbol}[0-9]*.* for its months anywhere",
        )
    return Entry(canonical, "pattern", exchange, pattern=symbol, options=options)


def alias_of(exchange: str, product: str) -> str:
    """The alias clients subscribe for a product's main contract: ``rb888.SHFE``."""
    return f"{product}{ALIAS_MONTH}.{exchange}"


def alias_product(vt_symbol: str) -> tuple[str, str] | None:
    """``'rb888.SHFE'`` -> ``('SHFE', 'rb')``; None when ``vt_symbol`` is no alias."""
    found = _ALIAS_VT.fullmatch(vt_symbol)
    if found is None or found[2] not in EXCHANGES:
        return None
    return found[2], found[1]


def product_of(symbol: str) -> str:
    """A symbol's product, its leading letters: ``rb2605`` -> ``rb``, ``SR605`` -> ``SR``
    ("" when it begins with none). CTP's ProductID agrees for futures; the catalog's
    own ``product`` is preferred where it is known."""
    found = _LEADING_LETTERS.match(symbol)
    return found[0] if found else ""


def month_of(symbol: str, today: date) -> int | None:
    """A contract's delivery month as a comparable ``yyyymm``, None when the symbol
    carries none (an alias, a product, a malformed symbol).

    ``rb2605`` -> 202605. CZCE writes three digits (``SR605``): the year is the first
    one from last year on that ends in that digit, since no contract in use is more
    than a year past its delivery and CZCE lists less than a decade ahead (in 2026:
    SR605 -> 202605, SR511 -> 202511, SR911 -> 202911). An option's symbol gives its
    underlying's month (``au2606C500`` -> 202606).
    """
    found = _MONTH.match(symbol)
    if found is None:
        return None
    digits = found[1]
    month = int(digits[-2:])
    if not 1 <= month <= 12:
        return None
    if len(digits) == 4:
        year = 2000 + int(digits[:2])
    else:
        base = today.year - 1
        year = base + (int(digits[0]) - base) % 10
    return year * 100 + month
