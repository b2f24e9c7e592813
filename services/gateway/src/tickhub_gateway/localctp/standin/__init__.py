"""tickhub's stand-ins for CTP's market-data and trading libraries
(``libthostmduserapi_se.so``, ``libthosttraderapi_se.so``).

``mdapi.cpp`` implements CTP's ``CThostFtdcMdApi`` and ``tdapi.cpp`` its
``CThostFtdcTraderApi`` (the part a market-data hub uses: login, the instrument
query) over tickhub's line protocol to ``tickhub ctp-front`` (docs/ctp-front.md);
``link.h`` is what they share. ``make setup`` compiles both with :mod:`.build` against
the CTP headers of the vnpy_ctp version uv.lock pins; a process started with
:func:`library_dir` first on ``LD_LIBRARY_PATH`` gets them instead of CTP's.
"""

from __future__ import annotations

from pathlib import Path

LIBRARY_FILE = "libthostmduserapi_se.so"
"""The market-data library."""
TD_LIBRARY_FILE = "libthosttraderapi_se.so"
"""The trading library."""
LIBRARY_FILES = (LIBRARY_FILE, TD_LIBRARY_FILE)


def library_dir() -> Path:
    """Where the built libraries live (``localctp/lib``, ignored by git)."""
    return Path(__file__).resolve().parent.parent / "lib"


def library_path() -> Path:
    """The built market-data library's path (it may not exist yet: see :func:`built`)."""
    return library_dir() / LIBRARY_FILE


def td_library_path() -> Path:
    """The built trading library's path."""
    return library_dir() / TD_LIBRARY_FILE


def built() -> bool:
    """Whether both libraries have been built."""
    return all((library_dir() / name).is_file() for name in LIBRARY_FILES)
