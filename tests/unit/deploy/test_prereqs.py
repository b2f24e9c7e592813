"""`make setup` checks the machine first: one clear line per missing prerequisite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "check-prereqs.sh"


def check(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), env.pop("PYTHON", sys.executable)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_this_machine_has_everything() -> None:
    result = check()
    assert (result.returncode, result.stderr) == (0, "")


def test_each_missing_piece_is_one_line_saying_what_to_install(tmp_path: Path) -> None:
    result = check(
        PYTHON=str(tmp_path / "no-python"),
        CXX=str(tmp_path / "no-compiler"),
    )
    lines = result.stderr.splitlines()
    assert result.returncode == 1
    assert any("Python 3.11 or newer" in line for line in lines), lines
    assert any("no C++ compiler" in line and "g++" in line for line in lines), lines
    assert all(line.startswith("make setup: ") for line in lines), lines


def test_an_old_python_is_named_with_its_version(tmp_path: Path) -> None:
    fake = tmp_path / "python3"
    fake.write_text('#!/bin/sh\n[ "$1" = "-V" ] && echo "Python 3.9.2" && exit 0\nexit 1\n')
    fake.chmod(0o755)
    result = check(PYTHON=str(fake))
    assert result.returncode == 1
    assert "Python 3.9.2: Python 3.11 or newer is needed" in result.stderr


def test_missing_locale_sources_are_named_when_the_locale_is_not_installed(
    tmp_path: Path,
) -> None:
    result = check(I18NPATH=str(tmp_path / "no-i18n"))
    installed = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False)
    if "zh_cn.gb18030" in installed.stdout.lower():
        assert result.returncode == 0  # the system's own locale is enough
    else:
        assert result.returncode == 1
        assert "zh_CN.GB18030" in result.stderr and "apt-get install locales" in result.stderr
