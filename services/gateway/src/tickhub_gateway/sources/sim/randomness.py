"""The sim's randomness: stable across processes and runs, so two sources print the same
tick. Python's ``hash()`` of a str differs per process; nothing here may.

``mix`` is splitmix64 in Python ints (masked to 64 bits); ``mix_range`` is the same
function over a run of ``n`` in numpy ``uint64``, whose arithmetic wraps mod 2**64
exactly like the masks, so both give the same bits for the same (key, n, salt).
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_SALT = 0xD6E8FEB86659FD93
_MUL1 = 0xBF58476D1CE4E5B9
_MUL2 = 0x94D049BB133111EB
_UNIT = 1.0 / (1 << 53)


def stable_hash(text: str) -> int:
    # Python's hash() of a str differs per process; this must not.
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def mix(key: int, n: int, salt: int) -> int:
    """splitmix64 of (key, n, salt): 64 well-mixed bits, cheap in pure Python."""
    x = (key ^ (n * _GOLDEN) ^ (salt * _SALT)) & _MASK
    x = ((x ^ (x >> 30)) * _MUL1) & _MASK
    x = ((x ^ (x >> 27)) * _MUL2) & _MASK
    return x ^ (x >> 31)


def salted(key: int, salt: int) -> int:
    """The part of ``mix``'s input that does not depend on ``n`` (see ``mix_salted``)."""
    return (key ^ (salt * _SALT)) & _MASK


def mix_salted(salted_key: int, n: int) -> int:
    """``mix(key, n, salt)`` given ``salted(key, salt)``: one multiplication fewer, for
    hot paths that draw many ``n`` under one (key, salt). Masking after the xor is
    masking each side, so the bits are mix's."""
    x = ((n * _GOLDEN) ^ salted_key) & _MASK
    x = ((x ^ (x >> 30)) * _MUL1) & _MASK
    x = ((x ^ (x >> 27)) * _MUL2) & _MASK
    return x ^ (x >> 31)


def mix_range(key: int, first: int, count: int, salt: int) -> npt.NDArray[np.uint64]:
    """``mix(key, n, salt)`` for ``n`` in ``first .. first + count - 1``, as uint64."""
    # n * _GOLDEN only matters mod 2**64, so n may start from first mod 2**64 (a
    # negative or huge first included) and wrap like the masked Python ints.
    x = np.arange(count, dtype=np.uint64)
    x += np.uint64(first & _MASK)
    x *= np.uint64(_GOLDEN)
    x ^= np.uint64(salted(key, salt))
    x ^= x >> np.uint64(30)
    x *= np.uint64(_MUL1)
    x ^= x >> np.uint64(27)
    x *= np.uint64(_MUL2)
    x ^= x >> np.uint64(31)
    return x


def unit(bits: int) -> float:
    """64 random bits -> a float in [0, 1)."""
    return (bits >> 11) * _UNIT


def unit_array(bits: npt.NDArray[np.uint64]) -> npt.NDArray[np.float64]:
    """``unit`` of each element: the top 53 bits convert to float64 exactly, and the
    scaling is by a power of two, so each is the same float ``unit`` gives."""
    return (bits >> np.uint64(11)).astype(np.float64) * _UNIT
