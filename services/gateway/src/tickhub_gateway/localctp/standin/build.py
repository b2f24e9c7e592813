"""Build the stand-in market-data library: ``python -m tickhub_gateway.localctp.standin.build``.

CTP's headers are not tickhub's to commit, so they come from where the installed
vnpy_ctp came from: its source distribution, at the URL and sha256 that uv.lock pins.
The sdist is downloaded once into a cache (``.bin/cache``) and checked against that
hash; only the three headers ``mdapi.cpp`` includes are taken out of it, into a
temporary directory, and compiled with the system's C++ compiler into
``localctp/lib/libthostmduserapi_se.so``. A stamp beside the library records what it
was built from (the vnpy_ctp version, the sdist's hash, this file's and mdapi.cpp's
hashes), so running this again does nothing until one of those changes.

Every failure is one line on stderr and exit code 1.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
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

from tickhub_gateway.localctp.standin import LIBRARY_FILE, library_dir

PACKAGE = "vnpy-ctp"
HEADERS = ("ThostFtdcMdApi.h", "ThostFtdcUserApiStruct.h", "ThostFtdcUserApiDataType.h")
HEADER_DIR = "vnpy_ctp/api/include/ctp/"
SOURCE = Path(__file__).with_name("mdapi.cpp")
STAMP_FILE = ".build-stamp.json"
VERSION_PREFIX = "tickhub-local-ctp"
DOWNLOAD_TIMEOUT_S = 120.0
COMPILE_TIMEOUT_S = 600.0

# The library exports what CTP's does for this class (its two statics, its typeinfo
# and vtable) and nothing else: no libstdc++ template instance leaks out to be
# interposed with vnpy_ctp's own.
VERSION_SCRIPT = """{
  global:
    _ZN15CThostFtdcMdApi*;
    _ZTI15CThostFtdcMdApi;
    _ZTS15CThostFtdcMdApi;
    _ZTV15CThostFtdcMdApi;
  local: *;
};
"""


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
    """Only CTP's three headers, written by name (no path from the archive is used)."""
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


def compile_library(
    cxx: list[str], headers: Path, sdist: Sdist, output: Path, verbose: bool
) -> None:
    script = headers / "exports.map"
    script.write_text(VERSION_SCRIPT)
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
        f"-Wl,-soname,{LIBRARY_FILE}",
        "-o",
        str(output),
        str(SOURCE),
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
            f"{cxx[0]} could not compile {SOURCE.name} (exit code {result.returncode}): "
            f"{first.strip()} (--verbose shows everything)"
        )


def check_library(path: Path) -> str:
    """The built library's ``GetApiVersion()``, which must name the stand-in."""
    try:
        library = ctypes.CDLL(str(path))
        function = library._ZN15CThostFtdcMdApi13GetApiVersionEv
    except (OSError, AttributeError) as error:
        raise BuildError(f"the built {path} does not load as a CTP md library: {error}") from None
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
        "mdapi_cpp_sha256": sha256_of(SOURCE),
        "build_py_sha256": sha256_of(Path(__file__)),
    }


def up_to_date(output_dir: Path, stamp: dict[str, str]) -> bool:
    try:
        recorded = json.loads((output_dir / STAMP_FILE).read_text())
    except (OSError, ValueError):
        return False
    return recorded == stamp and (output_dir / LIBRARY_FILE).is_file()


def build(lock: Path, cache: Path, output_dir: Path, force: bool, verbose: bool) -> str:
    """Build (or keep) the library; returns a line saying what happened."""
    sdist = read_lock(lock)
    stamp = stamp_for(sdist)
    target = output_dir / LIBRARY_FILE
    if not force and up_to_date(output_dir, stamp):
        return f"{target} is up to date (vnpy_ctp {sdist.version})"
    cxx = compiler()
    archive = fetch_sdist(sdist, cache)
    with tempfile.TemporaryDirectory(prefix="tickhub-standin-") as scratch:
        headers = Path(scratch)
        extract_headers(archive, headers)
        built = headers / LIBRARY_FILE
        compile_library(cxx, headers, sdist, built, verbose)
        version = check_library(built)
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
            # Moved into place whole: a process that has the old one mapped keeps it.
            partial = output_dir / f".{LIBRARY_FILE}.partial"
            shutil.copyfile(built, partial)
            os.replace(partial, target)
            (output_dir / STAMP_FILE).write_text(json.dumps(stamp, indent=2) + "\n")
        except OSError as error:
            raise BuildError(f"cannot write {target}: {error}") from None
    return f"built {target}: {version}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tickhub_gateway.localctp.standin.build",
        description="Build tickhub's stand-in for CTP's market-data library.",
    )
    parser.add_argument("--lock", type=Path, default=Path("uv.lock"), help="uv.lock to read")
    parser.add_argument(
        "--cache", type=Path, default=Path(".bin/cache"), help="where the sdist is kept"
    )
    parser.add_argument(
        "--output", type=Path, default=library_dir(), help="directory for the library"
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
