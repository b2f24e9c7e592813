"""Each workspace package installs and imports alone.

``uv sync --frozen --no-dev --package NAME`` into an empty environment of its own, as
its container image installs it, then scripts/check-package.py with that
environment's python: every import the package makes is declared by the package
itself, and every module of it imports. uv's cache makes each environment a matter of
links, well under a second; the main .venv is never touched.
"""

from __future__ import annotations

import glob
import os
import subprocess
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
CHECK = ROOT / "scripts" / "check-package.py"
SYNC_TIMEOUT_S = 300
"""A cold uv cache downloads; a warm one links in well under a second."""
CHECK_TIMEOUT_S = 120


def members() -> list[str]:
    """Every package of the uv workspace, by its distribution name."""
    workspace = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    names = []
    for pattern in workspace["members"]:
        for directory in sorted(glob.glob(pattern, root_dir=ROOT)):
            project = tomllib.loads((ROOT / directory / "pyproject.toml").read_text())
            names.append(project["project"]["name"])
    return names


def uv() -> str:
    """The uv running this test (``uv run`` says which in $UV), else the Makefile's."""
    found = os.environ.get("UV")
    if found:
        return found
    script = ROOT / "scripts" / "uv-path.sh"
    said = subprocess.run(
        [str(script), str(ROOT / ".bin")], capture_output=True, text=True, check=True
    )
    return said.stdout.strip()


def _run(
    args: list[str], cwd: Path, timeout_s: float, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``args`` with this process's environment less what ties it to the
    workspace's .venv or to the developer's settings, plus ``env``."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT"}
        and not key.startswith("TICKHUB_")
    }
    return subprocess.run(
        args,
        cwd=cwd,
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def test_the_workspace_has_what_this_test_expects() -> None:
    assert {"tickhub-contracts", "tickhub-publisher", "tickhub-gateway", "tickhub-cli"} <= set(
        members()
    )


@pytest.mark.parametrize("package", members())
def test_the_package_installs_and_imports_alone(package: str, tmp_path: Path) -> None:
    environment = tmp_path / "env"
    sync = _run(
        [uv(), "sync", "--quiet", "--frozen", "--no-dev", "--package", package],
        ROOT,
        SYNC_TIMEOUT_S,
        UV_PROJECT_ENVIRONMENT=str(environment),
    )
    assert sync.returncode == 0, sync.stderr
    python = environment / "bin" / "python"
    assert python.exists()
    # -I: nothing from the environment variables, the user's site or this directory
    # on the path. HOME here: vnpy writes its settings folder under it on import.
    check = _run(
        [str(python), "-I", str(CHECK), package], tmp_path, CHECK_TIMEOUT_S, HOME=str(tmp_path)
    )
    assert check.returncode == 0, f"{package} does not stand alone:\n{check.stdout}{check.stderr}"
