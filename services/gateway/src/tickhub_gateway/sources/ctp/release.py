"""Releasing a vnpy_ctp api without holding the GIL, so that closing cannot deadlock.

vnpy_ctp's ``MdApi.exit()`` / ``TdApi.exit()`` stop the api's task thread and join
it, then release CTP. pybind11 calls them *holding the GIL*, and the task thread
takes the GIL to run each Python callback. If a callback is queued just before
``exit()`` (a tick, a front disconnect: with a live feed there always is one), the
task thread waits for the GIL while ``exit()`` waits for the task thread: the whole
process freezes, and no timeout in Python can fire because no Python runs. The
tests reproduced it in 7 of 10 closes right after a front disconnect.

The way out is to call the same C++ ``exit()`` through ctypes, which drops the GIL
for the duration of the call: the task thread finishes its callback, sees the
queue terminated, ends, and ``exit()`` returns. Finding the function needs the
extension's symbol table and pybind11's instance layout; both are checked, and
:func:`release` answers False whenever anything does not look exactly as expected,
so the caller falls back to the plain ``exit()``.
"""

from __future__ import annotations

import ctypes
import struct
import sys
import threading
from functools import cache
from typing import Any

from tickhub_runtime.logs import get_logger

log = get_logger(__name__)

_ExitFunction = Any  # a ctypes function pointer: int (*)(MdApi* this)

_SHT_SYMTAB = 2
_SHT_DYNSYM = 11
# pybind11's instance: PyObject_HEAD (refcount, type) then the value pointer and,
# for a unique_ptr holder, the holder, which points at the same object.
_VALUE_OFFSET = 16
_HOLDER_OFFSET = 24


def _elf_symbols(path: str, wanted: set[str]) -> dict[str, int]:
    """Addresses (relative to the load base) of the ``wanted`` symbols of a 64-bit
    little-endian ELF file; symbols it does not have are left out."""
    with open(path, "rb") as file:
        data = file.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return {}
    section_offset = struct.unpack_from("<Q", data, 0x28)[0]
    entry_size, count = struct.unpack_from("<HH", data, 0x3A)
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", data, section_offset + i * entry_size)
        for i in range(count)
    ]
    found: dict[str, int] = {}
    for _, kind, _, _, offset, size, link, _, _, sym_size in sections:
        if kind not in (_SHT_SYMTAB, _SHT_DYNSYM) or not sym_size:
            continue
        names = sections[link][4]
        for i in range(size // sym_size):
            name_at, _, _, _, value, _ = struct.unpack_from("<IBBHQQ", data, offset + i * sym_size)
            if not value:
                continue
            start = names + name_at
            name = data[start : data.index(b"\0", start)].decode("ascii", "replace")
            if name in wanted:
                found[name] = value
    return found


@cache
def _exit_function(module_name: str, class_name: str) -> _ExitFunction | None:
    """``<class_name>::exit()`` of a loaded vnpy_ctp extension module, callable by ctypes."""
    module = sys.modules.get(module_name)
    path = getattr(module, "__file__", None)
    if not path or not sys.platform.startswith("linux"):
        return None
    init = "PyInit_" + module_name.rpartition(".")[2]
    exit_symbol = f"_ZN{len(class_name)}{class_name}4exitEv"  # Itanium C++ ABI name
    try:
        symbols = _elf_symbols(path, {init, exit_symbol})
        if init not in symbols or exit_symbol not in symbols:
            return None
        library = ctypes.CDLL(path)  # already loaded: the same handle, nothing new
        init_address = ctypes.cast(getattr(library, init), ctypes.c_void_p).value
        if init_address is None:
            return None
        base = init_address - symbols[init]
        prototype = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
        return prototype(base + symbols[exit_symbol])
    except (OSError, ValueError, struct.error, AttributeError):
        log.warning("cannot locate %s::exit in %s", class_name, path, exc_info=True)
        return None


def _pybind_base(api: object) -> type | None:
    for klass in type(api).__mro__:
        if klass.__module__.startswith("vnpy_ctp.api.vnctp") and klass.__name__ in (
            "MdApi",
            "TdApi",
        ):
            return klass
    return None


def release(api: object) -> bool:
    """Run ``api.exit()`` with the GIL released; False (nothing done) when that is
    not safely possible, and the caller must use ``api.exit()``.

    Call it once, and only after the api's ``init()`` (``exit()`` joins the task
    thread ``init()`` started).
    """
    base = _pybind_base(api)
    if base is None:
        return False
    function = _exit_function(base.__module__, base.__name__)
    if function is None:
        return False
    value = ctypes.c_void_p.from_address(id(api) + _VALUE_OFFSET).value
    holder = ctypes.c_void_p.from_address(id(api) + _HOLDER_OFFSET).value
    if not value or value != holder:
        log.warning("unexpected pybind11 layout of %s; using its plain exit()", base.__name__)
        return False
    log.debug("releasing %s without the GIL (thread %s)", base.__name__, threading.get_ident())
    function(value)
    return True
