#!/usr/bin/env bash
# Print the uv the Makefile should use: the one on PATH when it is new enough, else
# the repository's own (.bin/uv-venv/bin/uv, which `make setup` installs if missing).
set -euo pipefail
min=0.13.0
local_uv=${1:-.bin}/uv-venv/bin/uv
if [[ -x $local_uv ]]; then
    echo "$local_uv"
    exit 0
fi
if found=$(command -v uv 2>/dev/null); then
    version=$("$found" --version 2>/dev/null | awk '{print $2}') || version=""
    if [[ -n $version ]] && printf '%s\n%s\n' "$min" "$version" | sort -V -C; then
        echo "$found"
        exit 0
    fi
fi
echo "$local_uv"
