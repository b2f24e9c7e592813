"""tickhub's stand-in for CTP's market-data library (``libthostmduserapi_se.so``).

``mdapi.cpp`` implements CTP's ``CThostFtdcMdApi`` over tickhub's line protocol to
``tickhub ctp-front`` (docs/ctp-front.md). ``make setup`` compiles it with
:mod:`.build` against the CTP headers of the vnpy_ctp version uv.lock pins; a process
started with :func:`library_dir` first on ``LD_LIBRARY_PATH`` gets it instead of CTP's.
"""

from __future__ import annotations

from pathlib import Path

LIBRARY_FILE = "libthostmduserapi_se.so"


def library_dir() -> Path:
    """Where the built library lives (``localctp/lib``, ignored by git)."""
    return Path(__file__).resolve().parent.parent / "lib"


def library_path() -> Path:
    """The built library's path (it may not exist yet: see :func:`built`)."""
    return library_dir() / LIBRARY_FILE


def built() -> bool:
    """Whether the library has been built."""
    return library_path().is_file()
