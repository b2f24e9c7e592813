"""What a ``ctp`` worker needs from its process environment, and the check it makes.

Two things must be right *before* the worker process starts, because the C++ side
reads them only then:

* **The zh_CN.GB18030 locale.** vnpy_ctp's extension turns every CTP string into
  UTF-8 through ``std::locale("zh_CN.GB18030")`` (``toUtf`` in ``vnctp.h``), built the
  first time any response with text arrives: the first login reply, even a
  successful one. Where the locale is not installed the constructor throws
  ``std::runtime_error`` on vnpy_ctp's callback thread, nothing catches it, and the
  process aborts in the middle of the login ("terminate called after throwing an
  instance of 'std::runtime_error' ... _S_create_c_locale name not valid"). A fresh
  Debian or Ubuntu machine has no such locale. So the manager provides one: the
  system's if it has it, else compiled with ``localedef`` (no root needed) into
  :attr:`Settings.ctp_locale_dir` and handed to the worker as ``LOCPATH``; where
  neither works the worker is not started, and the reason says what to install.
* **Which CTP libraries load.** vnpy_ctp's ``vnctpmd`` and ``vnctptd`` find
  ``libthostmduserapi_se.so`` and ``libthosttraderapi_se.so`` by their RUNPATH; the
  dynamic loader looks on ``LD_LIBRARY_PATH`` first. An account with
  ``md_library = "local"`` gets the directory of tickhub's stand-ins for both
  (:mod:`tickhub_gateway.localctp.standin`) put there; every other account gets it
  taken *out*, so a broker's account never loads a stand-in.

The worker then checks what it really got (:func:`check_worker`): the locale loads,
and the libraries mapped into the process (the market-data one, and the trading one
when it is loaded) are the ones its account asked for: both the stand-ins for
``local``, neither for ``ctp``. Anything else ends the worker with one line before it
talks to any front.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from tickhub_contracts.messages import SourceConfig

LOCALE = "zh_CN.GB18030"
MD_LIBRARY_FILE = "libthostmduserapi_se.so"
TD_LIBRARY_FILE = "libthosttraderapi_se.so"
LIBRARY_CLASSES = {MD_LIBRARY_FILE: "CThostFtdcMdApi", TD_LIBRARY_FILE: "CThostFtdcTraderApi"}
"""Each library's CTP class, whose static ``GetApiVersion()`` says what it is."""
STANDIN_VERSION_PREFIX = "tickhub-local-ctp"
"""How the stand-in's ``GetApiVersion()`` begins (CTP's own says e.g. ``v6.7.11``)."""

LOCALEDEF_TIMEOUT_S = 120.0
# glibc: LC_ALL_MASK is every category bit but LC_ALL's own (6). std::locale(name)
# builds every category, so every one must load.
_LC_ALL_MASK = ((1 << 13) - 1) & ~(1 << 6)

INSTALL_HINT = (
    "install it (Debian/Ubuntu: apt-get install locales && "
    "localedef -i zh_CN -f GB18030 zh_CN.GB18030; RHEL: dnf install glibc-locale-source)"
)


class CtpEnvironmentError(OSError):
    """A ctp worker cannot be given what it needs; the message is one line."""


# --- the locale -----------------------------------------------------------------------


def locale_loads(name: str = LOCALE) -> bool:
    """Whether glibc can load locale ``name`` in this process (honouring its
    ``LOCPATH``), exactly as libstdc++'s ``std::locale(name)`` will."""
    libc = ctypes.CDLL(None)
    libc.newlocale.restype = ctypes.c_void_p
    libc.newlocale.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p]
    libc.freelocale.argtypes = [ctypes.c_void_p]
    handle = libc.newlocale(_LC_ALL_MASK, name.encode(), None)
    if not handle:
        return False
    libc.freelocale(handle)
    return True


def compiled_locale(directory: Path) -> Path:
    """Where :func:`compile_locale` puts the locale inside ``directory``."""
    return directory / LOCALE


def compile_locale(directory: Path) -> Path:
    """Compile zh_CN.GB18030 into ``directory`` (once: kept for the next worker).

    Built into a scratch directory and renamed into place, so two workers starting at
    once never see half a locale. Raises :class:`CtpEnvironmentError` when this system
    cannot build it (no ``localedef``, or no zh_CN / GB18030 sources).
    """
    target = compiled_locale(directory)
    if (target / "LC_CTYPE").is_file():
        return target
    localedef = shutil.which("localedef")
    if localedef is None:
        raise CtpEnvironmentError(
            f"the {LOCALE} locale that vnpy_ctp needs is missing and localedef is not "
            f"there to build it: {INSTALL_HINT}"
        )
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".building-") as scratch:
        built = Path(scratch) / LOCALE
        # -c: write it despite warnings (the GB18030 charmap draws a few harmless ones).
        result = subprocess.run(
            [localedef, "-c", "-i", "zh_CN", "-f", "GB18030", str(built)],
            capture_output=True,
            text=True,
            timeout=LOCALEDEF_TIMEOUT_S,
            check=False,
        )
        if not (built / "LC_CTYPE").is_file():
            said = (result.stderr or result.stdout).strip().splitlines()
            raise CtpEnvironmentError(
                f"the {LOCALE} locale that vnpy_ctp needs is missing and localedef could not "
                f"build it ({said[-1] if said else f'exit code {result.returncode}'}): "
                f"{INSTALL_HINT}"
            )
        try:
            built.rename(target)
        except OSError:
            if not (target / "LC_CTYPE").is_file():  # not a twin that got there first
                raise
    return target


def locale_env(directory: Path) -> dict[str, str]:
    """The variables that give a worker the locale: none when the system has it,
    else ``LOCPATH`` at a compiled copy (may take seconds the first time)."""
    if locale_loads():
        return {}
    compile_locale(directory)
    return {"LOCPATH": str(directory)}


# --- the market-data library ----------------------------------------------------------


def standin_dir() -> Path:
    """Where ``make setup`` builds the stand-in library."""
    from tickhub_gateway.localctp import standin

    return standin.library_dir()


def library_env(config: SourceConfig, environ: Mapping[str, str]) -> dict[str, str]:
    """``LD_LIBRARY_PATH`` for the account's library: the stand-in's directory first for
    ``md_library = "local"``, and never there for any other account."""
    standin = str(standin_dir())
    paths = [p for p in environ.get("LD_LIBRARY_PATH", "").split(os.pathsep) if p]
    paths = [p for p in paths if os.path.realpath(p) != os.path.realpath(standin)]
    if config.ctp is not None and config.ctp.md_library == "local":
        for file in LIBRARY_CLASSES:
            if not (Path(standin) / file).is_file():
                raise CtpEnvironmentError(
                    f"md_library 'local' but tickhub's stand-in CTP library is not built "
                    f"(no {Path(standin) / file}): run make setup"
                )
        paths.insert(0, standin)
    return {"LD_LIBRARY_PATH": os.pathsep.join(paths)}


def worker_env(
    config: SourceConfig, environ: Mapping[str, str], locale_dir: Path
) -> dict[str, str]:
    """Everything a ctp worker's environment needs on top of ``environ``."""
    return {**library_env(config, environ), **locale_env(locale_dir)}


def loaded_library(file: str = MD_LIBRARY_FILE) -> Path | None:
    """The library ``file`` mapped into this process, if any (Linux)."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    for line in maps.splitlines():
        path = line.split(maxsplit=5)[-1] if line.count(" ") >= 5 else ""
        if path.endswith("/" + file):
            return Path(path)
    return None


def loaded_md_library() -> Path | None:
    """The ``libthostmduserapi_se.so`` mapped into this process, if any (Linux)."""
    return loaded_library(MD_LIBRARY_FILE)


def library_version(path: Path) -> str:
    """``GetApiVersion()`` of the CTP library at ``path`` (already loaded by vnpy_ctp:
    dlopen hands back the same copy; vnpy_ctp does not expose the md one)."""
    api_class = LIBRARY_CLASSES.get(path.name, LIBRARY_CLASSES[MD_LIBRARY_FILE])
    library = ctypes.CDLL(str(path))
    # The Itanium C++ ABI's name of CThostFtdc...Api::GetApiVersion().
    function = getattr(library, f"_ZN{len(api_class)}{api_class}13GetApiVersionEv")
    function.restype = ctypes.c_char_p
    function.argtypes = []
    version: bytes | None = function()
    return (version or b"").decode("ascii", "replace")


def md_library_version(path: Path) -> str:
    """``CThostFtdcMdApi::GetApiVersion()`` of the library at ``path``."""
    return library_version(path)


def _check_library(wanted: str, what: str, where: Path) -> str:
    """``version (path)`` of a loaded library, if it is what ``md_library`` asks for."""
    described = f"{library_version(where)} ({where})"
    is_standin = described.startswith(STANDIN_VERSION_PREFIX)
    if wanted == "local" and not is_standin:
        raise CtpEnvironmentError(
            f"md_library 'local' but CTP's own {what}library loaded: {described}; "
            "is LD_LIBRARY_PATH overridden?"
        )
    if wanted == "ctp" and is_standin:
        raise CtpEnvironmentError(
            f"md_library 'ctp' but tickhub's stand-in {what}library loaded: {described}; "
            "unset LD_LIBRARY_PATH (a broker's account must load the broker's library)"
        )
    return described


def check_worker(config: SourceConfig) -> str:
    """In the worker, once vnpy_ctp is imported: the locale loads and the libraries are
    the ones the account asked for (the market-data one, and the trading one when it
    is loaded). Returns a line naming them; raises :class:`CtpEnvironmentError`
    otherwise."""
    if not locale_loads():
        raise CtpEnvironmentError(
            f"the {LOCALE} locale is missing (vnpy_ctp would abort at the first reply "
            f"from the front): {INSTALL_HINT}"
        )
    where = loaded_md_library()
    if where is None:
        raise CtpEnvironmentError(f"vnpy_ctp is imported but no {MD_LIBRARY_FILE} is loaded")
    wanted = config.ctp.md_library if config.ctp is not None else "ctp"
    described = _check_library(wanted, "", where)
    trading = loaded_library(TD_LIBRARY_FILE)
    if trading is not None:  # vnpy_ctp loads it beside the md one: the same rule
        described += f"; td {_check_library(wanted, 'trading ', trading)}"
    return described
