"""The gateway's environment holds vnpy's trading core, never its Qt desktop stack
(what the workspace's override-dependencies are for; scripts/env-sizes.sh checks
the installed environment, this checks the lock on every test run)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from packaging.markers import Marker

ROOT = Path(__file__).parents[3]
QT = re.compile(r"^(pyside6|shiboken6|pyqt5|pyqt6|pyqtgraph|qdarkstyle)\b", re.I)


def _uv() -> str:
    # `uv run` names itself in UV; else the one on PATH or the one `make setup` installed.
    local = ROOT / ".bin" / "uv-venv" / "bin" / "uv"
    uv = os.environ.get("UV") or shutil.which("uv") or (str(local) if local.exists() else None)
    assert uv is not None, "uv not found: run `make setup`"
    return uv


def _installed(package: str) -> list[str]:
    """Requirement lines uv would install for ``package`` on this machine."""
    result = subprocess.run(
        [
            _uv(),
            "export",
            "--frozen",
            "--offline",
            "--no-dev",
            "--no-hashes",
            "--package",
            package,
            "--no-header",
            "--no-annotate",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    installed = []
    for line in result.stdout.splitlines():
        if not line or line.startswith("#"):
            continue
        requirement, _, marker = line.partition(";")
        # The overrides' marker (sys_platform == 'never') is false: not installed.
        if not marker or Marker(marker.strip()).evaluate():
            installed.append(requirement.strip())
    return installed


def test_the_gateway_installs_vnpy_without_qt() -> None:
    lines = _installed("tickhub-gateway")
    names = [re.split(r"[=<>; ]", line, maxsplit=1)[0] for line in lines]
    assert "vnpy" in names and "vnpy-ctp" in names
    assert [name for name in names if QT.match(name)] == []


@pytest.mark.parametrize("package", ["tickhub-health", "tickhub-failover", "tickhub-publisher"])
def test_the_lean_services_do_not_install_vnpy(package: str) -> None:
    names = [re.split(r"[=<>; ]", line, maxsplit=1)[0] for line in _installed(package)]
    assert "vnpy" not in names
