"""Build the stand-in CTP libraries: ``python -m tickhub_gateway.localctp.standin.build``.

CTP's headers are not tickhub's to commit, so they come from where the installed
vnpy_ctp came from: its source distribution, at the URL and sha256 that uv.lock pins.
The sdist is downloaded once into a cache (``.bin/cache``) and checked against that
hash; only CTP's four headers are taken out of it, into a temporary directory, and
``mdapi.cpp`` and ``tdapi.cpp`` (with ``link.h``, what they share) are compiled with
the system's C++ compiler into ``localctp/lib/libthostmduserapi_se.so`` and
``libthosttraderapi_se.so``. The trading class declares some hundred requests the
stand-in does not serve; their overrides (each returns -1) are generated here from
the downloaded ``ThostFtdcTraderApi.h`` (:func:`write_unsupported`), so no line of
CTP's header is ever committed. A stamp beside the libraries records what they were
built from (the vnpy_ctp version, the sdist's hash, the hashes of this file and of
the sources), so running this again does nothing until one of those changes.

Every failure is one line on stderr and exit code 1.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tickhub_gateway.localctp.standin import LIBRARY_FILE, TD_LIBRARY_FILE, library_dir

PACKAGE = "vnpy-ctp"
HEADERS = (
    "ThostFtdcMdApi.h",
    "ThostFtdcTraderApi.h",
    "ThostFtdcUserApiStruct.h",
    "ThostFtdcUserApiDataType.h",
)
HEADER_DIR = "vnpy_ctp/api/include/ctp/"
HERE = Path(__file__).parent
SHARED = HERE / "link.h"
TRADER_HEADER = "ThostFtdcTraderApi.h"
UNSUPPORTED_FILE = "tdapi_unsupported.inc"
STAMP_FILE = ".build-stamp.json"
VERSION_PREFIX = "tickhub-local-ctp"
DOWNLOAD_TIMEOUT_S = 120.0
COMPILE_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class Library:
    """One stand-in: its file, its source and the CTP class it implements."""

    file: str
    source: Path
    api_class: str

    @property
    def mangled(self) -> str:
        """The class's name as the Itanium C++ ABI writes it (``15CThostFtdcMdApi``)."""
        return f"{len(self.api_class)}{self.api_class}"

    @property
    def version_symbol(self) -> str:
        """``CThostFtdc...Api::GetApiVersion()``'s symbol."""
        return f"_ZN{self.mangled}13GetApiVersionEv"

    def version_script(self) -> str:
        """Exports what CTP's library does for the class (its two statics, its typeinfo
        and vtable) and nothing else: no libstdc++ template instance leaks out to be
        interposed with vnpy_ctp's own, nor anything of the other stand-in."""
        name = self.mangled
        return (
            "{\n  global:\n"
            f"    _ZN{name}*;\n    _ZTI{name};\n    _ZTS{name};\n    _ZTV{name};\n"
            "  local: *;\n};\n"
        )


MD = Library(LIBRARY_FILE, HERE / "mdapi.cpp", "CThostFtdcMdApi")
TD = Library(TD_LIBRARY_FILE, HERE / "tdapi.cpp", "CThostFtdcTraderApi")
LIBRARIES = (MD, TD)
SOURCE = MD.source
"""The market-data library's source (the sanitizer tests compile it alone)."""

# A request of CThostFtdcTraderApi: `virtual int ReqX(CThostFtdcXField *p, int nRequestID) = 0;`
_REQUEST = re.compile(
    r"virtual\s+int\s+(?P<method>\w+)\s*\(\s*(?P<field>\w+)\s*\*\s*\w+\s*,"
    r"\s*int\s+nRequestID\s*\)\s*=\s*0\s*;"
)
# A request tdapi.cpp serves itself: `int ReqX(...) override`.
_SERVED = re.compile(r"\bint\s+(?P<method>Req\w+)\s*\([^)]*\)\s*override\b")


class BuildError(Exception):
    """Why the library could not be built, in one line."""


@dataclass(frozen=True)
class Sdist:
    version: str
    url: str
    sha256: str

    @property
    def ctp_version(self) -> str:
        """CTP's version: vnpy_ctp's first three numbers (6.7.11.4 wraps CTP 6.7.11)."""
        return ".".join(self.version.split(".")[:3])


def read_lock(lock: Path) -> Sdist:
    """The vnpy-ctp sdist that ``lock`` pins."""
    try:
        with lock.open("rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        raise BuildError(
            f"{lock} not found (run from the repository root, or pass --lock)"
        ) from None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise BuildError(f"cannot read {lock}: {error}") from None
    for package in data.get("package", []):
        if package.get("name") != PACKAGE:
            continue
        sdist = package.get("sdist") or {}
        url, digest = sdist.get("url"), sdist.get("hash", "")
        if not isinstance(url, str) or not isinstance(digest, str):
            raise BuildError(f"{lock}: {PACKAGE} has no sdist url and hash")
        algorithm, _, value = digest.partition(":")
        if algorithm != "sha256" or len(value) != 64:
            raise BuildError(f"{lock}: {PACKAGE}'s sdist hash is not a sha256: {digest!r}")
        return Sdist(version=str(package.get("version", "")), url=url, sha256=value.lower())
    raise BuildError(f"{lock} pins no {PACKAGE}")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_sdist(sdist: Sdist, cache: Path) -> Path:
    """The sdist in ``cache``, downloaded unless a copy with the right hash is there."""
    name = sdist.url.rsplit("/", 1)[-1] or f"{PACKAGE}-{sdist.version}.tar.gz"
    target = cache / name
    if target.is_file() and sha256_of(target) == sdist.sha256:
        return target
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cache, prefix=f".{name}.", delete=False) as partial:
            scratch = Path(partial.name)
            try:
                digest = hashlib.sha256()
                with urllib.request.urlopen(sdist.url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                    for block in iter(lambda: response.read(1 << 20), b""):
                        digest.update(block)
                        partial.write(block)
            except BaseException:
                scratch.unlink(missing_ok=True)
                raise
    except urllib.error.HTTPError as error:
        raise BuildError(f"cannot download {sdist.url}: HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        raise BuildError(f"cannot download {sdist.url}: {error.reason}") from None
    except (OSError, ValueError) as error:
        raise BuildError(f"cannot download {sdist.url}: {error}") from None
    if digest.hexdigest() != sdist.sha256:
        scratch.unlink(missing_ok=True)
        raise BuildError(
            f"{sdist.url} has sha256 {digest.hexdigest()}, but the lock pins {sdist.sha256}"
        )
    scratch.chmod(0o644)  # NamedTemporaryFile made it private; it is a public file
    os.replace(scratch, target)
    return target


def extract_headers(archive: Path, into: Path) -> None:
    """Only CTP's four headers, written by name (no path from the archive is used)."""
    wanted = {HEADER_DIR + name: name for name in HEADERS}
    found: set[str] = set()
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                _, _, inside = member.name.partition("/")  # below the sdist's top directory
                name = wanted.get(inside)
                if name is None or not member.isfile():
                    continue
                source = tar.extractfile(member)
                if source is None:
                    continue
                (into / name).write_bytes(source.read())
                found.add(name)
    except (OSError, tarfile.TarError) as error:
        raise BuildError(f"cannot read {archive}: {error}") from None
    missing = sorted(set(HEADERS) - found)
    if missing:
        raise BuildError(f"{archive} lacks {', '.join(HEADER_DIR + name for name in missing)}")


def compiler() -> list[str]:
    """``$CXX``, else ``c++``, ``g++`` or ``clang++`` from PATH."""
    configured = os.environ.get("CXX", "").strip()
    if configured:
        command = shlex.split(configured)
        if shutil.which(command[0]) is None:
            raise BuildError(f"CXX={configured!r}, but {command[0]} is not found")
        return command
    for name in ("c++", "g++", "clang++"):
        found = shutil.which(name)
        if found:
            return [found]
    raise BuildError(
        "no C++ compiler found (install g++: apt-get install g++ / dnf install gcc-c++, or set CXX)"
    )


def requests_of(header: str) -> list[tuple[str, str]]:
    """(method, field struct) of every request ``ThostFtdcTraderApi.h`` declares."""
    return [(m.group("method"), m.group("field")) for m in _REQUEST.finditer(header)]


def served_requests(source: str) -> set[str]:
    """The requests ``tdapi.cpp`` implements itself."""
    return {m.group("method") for m in _SERVED.finditer(source)}


def write_unsupported(headers: Path, source: Path = TD.source) -> int:
    """Write ``tdapi_unsupported.inc`` into ``headers`` (where CTP's headers were put):
    one ``TICKHUB_NOT_SUPPORTED(method, field)`` per request of the downloaded header
    that ``source`` does not serve. The number written."""
    try:
        header = (headers / TRADER_HEADER).read_text(encoding="utf-8", errors="replace")
        served = served_requests(source.read_text())
    except OSError as error:
        raise BuildError(f"cannot read {error.filename}: {error.strerror}") from None
    requests = requests_of(header)
    if len(requests) < 20:  # a header laid out some other way: better to stop here
        raise BuildError(
            f"{TRADER_HEADER} declares only {len(requests)} requests the build recognises"
        )
    missing = served - {method for method, _ in requests}
    if missing:
        raise BuildError(f"{source.name} serves {', '.join(sorted(missing))}, "
                         f"which {TRADER_HEADER} does not declare")  # fmt: skip
    lines = [f"TICKHUB_NOT_SUPPORTED({m}, {f})" for m, f in requests if m not in served]
    (headers / UNSUPPORTED_FILE).write_text(
        "// Generated by build.py from the downloaded "
        + TRADER_HEADER
        + ": not committed.\n"
        + "\n".join(lines)
        + "\n"
    )
    return len(lines)


def compile_library(
    cxx: list[str], headers: Path, sdist: Sdist, library: Library, output: Path, verbose: bool
) -> None:
    script = headers / f"{library.file}.map"
    script.write_text(library.version_script())
    command = [
        *cxx,
        "-std=c++17",
        "-O2",
        "-fPIC",
        "-shared",
        "-pthread",
        "-fvisibility=hidden",
        "-Wall",
        "-Wextra",
        "-Werror",
        # CTP's headers as system headers: their warnings (unused parameters of the
        # spi's empty inline callbacks) are not ours to fix; ours still fail the build.
        "-isystem",
        str(headers),
        f'-DTICKHUB_CTP_VERSION="{sdist.ctp_version}"',
        f'-DTICKHUB_VNPY_CTP_VERSION="{sdist.version}"',
        "-Wl,-z,defs",
        f"-Wl,--version-script={script}",
        f"-Wl,-soname,{library.file}",
        "-o",
        str(output),
        str(library.source),
    ]
    if verbose:
        print(shlex.join(command), file=sys.stderr)
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BuildError(f"cannot run {cxx[0]}: {error}") from None
    if verbose and (result.stdout or result.stderr):
        print(result.stdout + result.stderr, file=sys.stderr, end="")
    if result.returncode != 0:
        said = (result.stderr or result.stdout).splitlines()
        first = next((line for line in said if "error" in line), said[0] if said else "")
        raise BuildError(
            f"{cxx[0]} could not compile {library.source.name} (exit code {result.returncode}): "
            f"{first.strip()} (--verbose shows everything)"
        )


def check_library(path: Path, library: Library = MD) -> str:
    """The built library's ``GetApiVersion()``, which must name the stand-in."""
    try:
        loaded = ctypes.CDLL(str(path))
        function = getattr(loaded, library.version_symbol)
    except (OSError, AttributeError) as error:
        raise BuildError(
            f"the built {path} does not load as CTP's {library.api_class} library: {error}"
        ) from None
    function.restype = ctypes.c_char_p
    function.argtypes = []
    version = (function() or b"").decode("ascii", "replace")
    if not version.startswith(VERSION_PREFIX):
        raise BuildError(f"the built {path} reports version {version!r}")
    return version


def stamp_for(sdist: Sdist) -> dict[str, str]:
    return {
        "vnpy_ctp": sdist.version,
        "sdist_sha256": sdist.sha256,
        **{
            f"{p.name.replace('.', '_')}_sha256": sha256_of(p)
            for p in (MD.source, TD.source, SHARED)
        },
        "build_py_sha256": sha256_of(Path(__file__)),
    }


def up_to_date(output_dir: Path, stamp: dict[str, str]) -> bool:
    try:
        recorded = json.loads((output_dir / STAMP_FILE).read_text())
    except (OSError, ValueError):
        return False
    return recorded == stamp and all((output_dir / lib.file).is_file() for lib in LIBRARIES)


def build(lock: Path, cache: Path, output_dir: Path, force: bool, verbose: bool) -> str:
    """Build (or keep) the libraries; returns a line saying what happened."""
    sdist = read_lock(lock)
    stamp = stamp_for(sdist)
    targets = ", ".join(str(output_dir / lib.file) for lib in LIBRARIES)
    if not force and up_to_date(output_dir, stamp):
        return f"{targets} are up to date (vnpy_ctp {sdist.version})"
    cxx = compiler()
    archive = fetch_sdist(sdist, cache)
    with tempfile.TemporaryDirectory(prefix="tickhub-standin-") as scratch:
        headers = Path(scratch)
        extract_headers(archive, headers)
        write_unsupported(headers)
        versions = []
        for library in LIBRARIES:
            built = headers / library.file
            compile_library(cxx, headers, sdist, library, built, verbose)
            versions.append(check_library(built, library))
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
            (output_dir / STAMP_FILE).unlink(missing_ok=True)  # stale until both are in
            for library in LIBRARIES:
                # Moved into place whole: a process that has the old one mapped keeps it.
                partial = output_dir / f".{library.file}.partial"
                shutil.copyfile(headers / library.file, partial)
                os.replace(partial, output_dir / library.file)
            (output_dir / STAMP_FILE).write_text(json.dumps(stamp, indent=2) + "\n")
        except OSError as error:
            raise BuildError(f"cannot write {output_dir}: {error}") from None
    return f"built {targets}: {versions[0]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tickhub_gateway.localctp.standin.build",
        description="Build tickhub's stand-ins for CTP's market-data and trading libraries.",
    )
    parser.add_argument("--lock", type=Path, default=Path("uv.lock"), help="uv.lock to read")
    parser.add_argument(
        "--cache", type=Path, default=Path(".bin/cache"), help="where the sdist is kept"
    )
    parser.add_argument(
        "--output", type=Path, default=library_dir(), help="directory for the libraries"
    )
    parser.add_argument("--force", action="store_true", help="build even when up to date")
    parser.add_argument("--verbose", action="store_true", help="show the compiler's output")
    args = parser.parse_args(argv)
    try:
        said = build(args.lock, args.cache, args.output, args.force, args.verbose)
    except BuildError as error:
        print(f"standin build: {error}", file=sys.stderr)
        return 1
    print(said)
    return 0


if __name__ == "__main__":
    sys.exit(main())
