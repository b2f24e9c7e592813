#!/usr/bin/env bash
# Install uv from PyPI into DEST (default .bin) with the machine's own Python, for a
# machine that has Python 3.11+ but no uv. No curl | sh: pip, from PyPI, only.
#
#   scripts/bootstrap-uv.sh [DEST]   ->   DEST/uv-venv/bin/uv
#
# Tries a venv first (isolated, removable); on Debian/Ubuntu without python3-venv it
# falls back to `pip install --target`, which needs no venv support at all.
set -euo pipefail

dest=${1:-.bin}
python=${PYTHON:-python3}
# The uv that wrote uv.lock (lock revision 5); an older one may rewrite or misread it.
uv_spec=${UV_SPEC:-uv>=0.13}

if ! command -v "$python" >/dev/null 2>&1; then
    echo "bootstrap-uv: $python not found; install Python 3.11 or newer" >&2
    exit 1
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "bootstrap-uv: $("$python" -V 2>&1) is too old; tickhub needs Python 3.11 or newer" >&2
    exit 1
fi

venv="$dest/uv-venv"
if "$python" -m venv "$venv" >/dev/null 2>&1 && "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$uv_spec"
elif "$python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$venv"
    "$python" -m pip install --quiet --disable-pip-version-check --target "$dest/uv-pkg" "$uv_spec"
    mkdir -p "$venv/bin"
    ln -sf "../../uv-pkg/bin/uv" "$venv/bin/uv"
else
    rm -rf "$venv"
    echo "bootstrap-uv: $python has neither venv nor pip; install python3-venv (or uv) first" >&2
    exit 1
fi
"$venv/bin/uv" --version
