"""What makes a product's ticks look like that product's: tick size, price level,
multiplier, pace and open interest, for a few well-known products and a stable made-up
spec for any other."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .randomness import stable_hash


@dataclass(frozen=True, slots=True)
class ContractSpec:
    """What makes a product's ticks look like that product's."""

    tick_size: float
    base_price: float
    multiplier: float
    volume_per_s: float
    """Traded lots per second, on average (a busy contract at its usual pace)."""
    open_interest: float


# A few well-known products so the default contracts look right; anything else gets
# a spec derived from its name (still deterministic).
PRODUCTS: dict[str, ContractSpec] = {
    "rb": ContractSpec(1.0, 3_500.0, 10, 40.0, 1_800_000),
    "hc": ContractSpec(1.0, 3_600.0, 10, 20.0, 1_000_000),
    "au": ContractSpec(0.02, 600.0, 1_000, 8.0, 200_000),
    "ag": ContractSpec(1.0, 7_500.0, 15, 30.0, 700_000),
    "cu": ContractSpec(10.0, 78_000.0, 5, 6.0, 200_000),
    "sc": ContractSpec(0.1, 520.0, 1_000, 6.0, 40_000),
    "m": ContractSpec(1.0, 3_000.0, 10, 30.0, 1_500_000),
    "i": ContractSpec(0.5, 780.0, 100, 10.0, 500_000),
    "SR": ContractSpec(1.0, 5_600.0, 10, 15.0, 600_000),
    "TA": ContractSpec(2.0, 4_800.0, 5, 30.0, 1_200_000),
    "IF": ContractSpec(0.2, 3_900.0, 300, 2.0, 200_000),
    "IC": ContractSpec(0.2, 5_800.0, 200, 1.5, 180_000),
}

_PRODUCT = re.compile(r"^[A-Za-z]+")


def spec_for(symbol: str) -> ContractSpec:
    """The product's spec (``rb2605`` -> rebar), or a stable made-up one."""
    match = _PRODUCT.match(symbol)
    product = match.group(0) if match else symbol
    known = PRODUCTS.get(product)
    if known is not None:
        return known
    h = stable_hash(f"product|{product}")
    return ContractSpec(
        tick_size=1.0,
        base_price=float(1_000 + h % 8_000),
        multiplier=10,
        volume_per_s=float(5 + (h >> 16) % 30),
        open_interest=float(50_000 + (h >> 32) % 500_000),
    )
