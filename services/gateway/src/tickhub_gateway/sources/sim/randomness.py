"""The sim's randomness: stable across processes and runs, so two sources print the same
tick. Python's ``hash()`` of a str differs per process; nothing here may."""

from __future__ import annotations

import hashlib

_MASK = (1 << 64) - 1


def stable_hash(text: str) -> int:
    # Python's hash() of a str differs per process; this must not.
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def mix(key: int, n: int, salt: int) -> int:
    """splitmix64 of (key, n, salt): 64 well-mixed bits, cheap in pure Python."""
    x = (key ^ (n * 0x9E3779B97F4A7C15) ^ (salt * 0xD6E8FEB86659FD93)) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def unit(bits: int) -> float:
    """64 random bits -> a float in [0, 1)."""
    return (bits >> 11) * (1.0 / (1 << 53))
