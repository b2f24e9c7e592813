"""The Makefile and .ci/run, run by the real make and bash: the targets do what the
README says, and setup happens only when its inputs change."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]


MAKE = shutil.which("make") or "make"


def make(*args: str, cwd: Path = ROOT, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [MAKE, "--no-print-directory", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def repo_copy(root: Path) -> Path:
    """The Makefile and scripts in an otherwise empty checkout: no .bin, no stamp."""
    root.mkdir(exist_ok=True)
    shutil.copy(ROOT / "Makefile", root / "Makefile")
    shutil.copytree(ROOT / "scripts", root / "scripts")
    (root / "uv.lock").write_text("version = 1\n")
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (root / ".venv").mkdir()
    return root


def bare_path(root: Path) -> str:
    """A PATH with a shell and nothing else: certainly no uv."""
    bin_dir = root / "bare-bin"
    bin_dir.mkdir()
    for tool in ("bash", "sh"):
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


def dry_run(target: str, *variables: str) -> list[str]:
    # -W uv.lock: pretend the lock changed, so setup shows up in the plan too.
    result = make("-n", "-W", "uv.lock", target, *variables)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def _has(lines: list[str], *words: str) -> bool:
    return any(all(word in line for word in words) for line in lines)


@pytest.mark.parametrize("target", ["up", "test", "bench", "lint"])
def test_each_target_sets_up_first_when_needed(target: str) -> None:
    lines = dry_run(target)
    sync = next(i for i, line in enumerate(lines) if "uv sync --frozen" in line)
    first_run = next(i for i, line in enumerate(lines) if " run " in line)
    assert sync < first_run


def test_up_runs_tickhub_up_with_extra_arguments() -> None:
    assert _has(dry_run("up", "ARGS=--nats-url nats://bus:4222"), "run", "tickhub up", "bus:4222")


def test_test_runs_lint_format_types_and_pytest() -> None:
    lines = dry_run("test")
    for words in (("ruff", "check"), ("ruff", "format", "--check"), ("mypy",), ("pytest",)):
        assert _has(lines, "run", *words), words


def test_bench_runs_the_bench_package() -> None:
    assert _has(dry_run("bench"), "run", "python -m bench")


def test_without_uv_on_the_path_setup_installs_it_from_pypi(tmp_path: Path) -> None:
    repo = repo_copy(tmp_path / "repo")
    result = make("-n", "setup", cwd=repo, path=bare_path(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # The machine is checked first (scripts/check-prereqs.sh), then uv comes from PyPI.
    assert lines[0].startswith("scripts/check-prereqs.sh ")
    assert lines[1] == "scripts/bootstrap-uv.sh .bin"
    assert _has(lines, ".bin/uv-venv/bin/uv sync --frozen")
    for script in ("Makefile", "scripts/bootstrap-uv.sh", "scripts/uv-path.sh"):
        assert "curl" not in _code(ROOT / script)


def _code(path: Path) -> str:
    return "\n".join(
        line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")
    )


def test_setup_is_redone_only_when_its_inputs_change(tmp_path: Path) -> None:
    repo = repo_copy(tmp_path)
    uv = "UV=/bin/true"  # an existing uv, so only the stamp decides
    now = time.time()
    for name in ("uv.lock", "pyproject.toml"):
        os.utime(repo / name, (now - 100, now - 100))
    assert make("-q", "setup", uv, cwd=repo).returncode == 1  # never set up
    stamp = repo / ".venv" / ".tickhub-setup"
    stamp.touch()
    os.utime(stamp, (now - 50, now - 50))
    assert make("-q", "setup", uv, cwd=repo).returncode == 0  # up to date
    os.utime(repo / "uv.lock", (now, now))
    assert make("-q", "setup", uv, cwd=repo).returncode == 1  # the lock changed


def test_ci_runs_make_test_with_the_test_database() -> None:
    ci = ROOT / ".ci" / "run"
    assert ci.stat().st_mode & stat.S_IXUSR
    text = ci.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert "export TICKHUB_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test" in text
    assert text.rstrip().endswith("make test")
    assert subprocess.run(["bash", "-n", str(ci)], check=False).returncode == 0


@pytest.mark.parametrize("script", ["bootstrap-uv.sh", "uv-path.sh", "env-sizes.sh"])
def test_the_shell_scripts_parse_and_are_executable(script: str) -> None:
    path = ROOT / "scripts" / script
    assert path.stat().st_mode & stat.S_IXUSR
    assert subprocess.run(["bash", "-n", str(path)], check=False).returncode == 0


def test_uv_path_prefers_the_repository_uv_once_installed(tmp_path: Path) -> None:
    script = ROOT / "scripts" / "uv-path.sh"
    local = tmp_path / "uv-venv" / "bin" / "uv"
    without = subprocess.run(
        [str(script), str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert without.stdout.strip() == str(local)  # what setup will install
    local.parent.mkdir(parents=True)
    local.write_text("#!/bin/sh\necho uv 0.0.1\n")
    local.chmod(0o755)
    found = subprocess.run([str(script), str(tmp_path)], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == str(local)
