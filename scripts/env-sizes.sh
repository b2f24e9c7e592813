#!/usr/bin/env bash
# Installed size of each service's environment, built the way its container builds it:
#   uv sync --frozen --no-dev --no-editable --package tickhub-<service>
# into a fresh UV_PROJECT_ENVIRONMENT, then `du -sh`. Prints the README's table.
# Fails if the gateway's environment holds any part of Qt (PySide6, shiboken6, PyQt):
# the gateway needs vnpy's trading core only, never its desktop stack.
#
#   scripts/env-sizes.sh            (from anywhere in the repository)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

uv=${UV:-$(scripts/uv-path.sh .bin)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python_version=""
echo "| Service | Installed size | Distributions | Largest |"
echo "| --- | ---: | ---: | --- |"
for service in gateway health failover publisher api; do
    env="$work/$service"
    UV_PROJECT_ENVIRONMENT="$env" "$uv" sync --quiet --frozen --no-dev --no-editable \
        --package "tickhub-$service"
    site=$(echo "$env"/lib/python3*/site-packages)
    python_version=$("$env/bin/python" -c 'import platform; print(platform.python_version())')
    size=$(du -sh "$env" | cut -f1)
    count=$(find "$site" -maxdepth 1 -name '*.dist-info' | wc -l)
    # awk reads all of sort's output: `head` would close the pipe early (SIGPIPE, pipefail).
    largest=$(du -s "$site"/* | sort -rn \
        | awk 'NR <= 3 {n = split($2, p, "/"); printf "%s%s %.0f MB", sep, p[n], $1 / 1024; sep = ", "}')
    echo "| $service | $size | $count | $largest |"
    if [[ $service == gateway ]]; then
        qt=$(find "$site" -maxdepth 1 -iregex '.*/\(pyside6\|shiboken6\|pyqt[56]\|pyqtgraph\|qdarkstyle\)[^/]*' | head -5)
        if [[ -n $qt ]]; then
            echo "env-sizes: the gateway's environment contains Qt: $qt" >&2
            exit 1
        fi
    fi
done
echo
echo "Python $python_version on $(uname -sm); the interpreter itself is not counted (the"
echo "environments link to it). The gateway's environment has no Qt/PySide6 (checked)."
