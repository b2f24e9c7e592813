"""The node half of the tooling, run by the real make, bash and node: `make setup`
installs the dashboard's and the e2e suite's packages and builds the dashboard,
`make test` runs their tests after pytest, `.ci/run` installs Chromium and makes the
browser tests compulsory, and the e2e runner says in one line why it skips.

npm, apt-get and make are replaced by recording scripts where running the real one
would install or run the world; what is checked is what the real make and bash ask
of them."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]
MAKE = shutil.which("make") or "make"
NODE = shutil.which("node")


def recorder(bin_dir: Path, name: str, log: Path, body: str = "") -> None:
    """An executable ``name`` that appends its working dir, arguments and the
    variables the tooling must set to ``log``, then runs ``body``."""
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / name
    script.write_text(
        "#!/bin/bash\n"
        f'echo "{name} $(basename "$PWD") $* '
        "| skip_download=${PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD:-} "
        "required=${TICKHUB_E2E_REQUIRED:-} frontend=${DEBIAN_FRONTEND:-} "
        f'db=${{TICKHUB_TEST_DATABASE_URL:-}}" >> {log}\n{body}\n'
    )
    script.chmod(0o755)


def newer(path: Path) -> None:
    """Mark ``path`` changed: clearly later than anything make just wrote (the file
    system's clock is coarse; a plain touch can tie with the target's time)."""
    later = time.time() + 10
    os.utime(path, (later, later))


def calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


# --- make setup / make test ---------------------------------------------------------


def node_repo(root: Path) -> Path:
    """The Makefile with a dashboard and an e2e suite beside it, nothing installed."""
    root.mkdir(exist_ok=True)
    shutil.copy(ROOT / "Makefile", root / "Makefile")
    shutil.copytree(ROOT / "scripts", root / "scripts")
    for name in ("uv.lock", "pyproject.toml"):
        (root / name).write_text("")
    (root / ".venv").mkdir()
    for package in ("frontend", "e2e"):
        (root / package).mkdir()
        (root / package / "package.json").write_text("{}")
        (root / package / "package-lock.json").write_text("{}")
    (root / "frontend" / "app").mkdir()
    (root / "frontend" / "app" / "page.tsx").write_text("export default function Page() {}\n")
    past = time.time() - 1000
    for path in root.rglob("*"):
        os.utime(path, (past, past))
    return root


def run_make(repo: Path, bin_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
    env.pop("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", None)
    return subprocess.run(
        [MAKE, "--no-print-directory", *args, "UV=/bin/true"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def npm_repo(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A repo copy and a recording npm whose `run build` writes an export, as Next does."""
    repo = node_repo(tmp_path / "repo")
    log = tmp_path / "npm.log"
    build = 'if [[ "$*" == "run build" ]]; then mkdir -p out && echo "<html>" > out/index.html; fi'
    recorder(tmp_path / "bin", "npm", log, build)
    return repo, tmp_path / "bin", log


def test_setup_installs_both_node_packages_then_builds_the_dashboard(
    npm_repo: tuple[Path, Path, Path],
) -> None:
    repo, bin_dir, log = npm_repo
    result = run_make(repo, bin_dir, "setup")
    assert result.returncode == 0, result.stderr
    assert [line.split(" |")[0] for line in calls(log)] == [
        "npm frontend ci --no-audit --no-fund",
        "npm e2e ci --no-audit --no-fund",
        "npm frontend run build",
    ]
    # No browser download from playwright-core's install, ever.
    assert all("skip_download=1" in line for line in calls(log))
    assert (repo / "frontend" / "out" / "index.html").exists()
    assert run_make(repo, bin_dir, "-q", "setup").returncode == 0  # now up to date


def test_a_lockfile_npm_ci_refuses_is_installed_from_without_rewriting_it(tmp_path: Path) -> None:
    # What npm ci says of a lockfile that lacks other platforms' optional binaries,
    # which is what npm install writes where the registry serves none of them.
    repo = node_repo(tmp_path / "repo")
    log = tmp_path / "npm.log"
    body = (
        'if [[ "$1" == ci ]]; then echo "npm error Missing: @rollup/rollup-darwin-x64@ '
        'from lock file" >&2; exit 1; fi\n'
        'if [[ "$*" == "run build" ]]; then mkdir -p out && echo "<html>" > out/index.html; fi'
    )
    recorder(tmp_path / "bin", "npm", log, body)
    result = run_make(repo, tmp_path / "bin", "setup")
    assert result.returncode == 0, result.stderr
    assert [line.split(" |")[0] for line in calls(log)] == [
        "npm frontend ci --no-audit --no-fund",
        "npm frontend install --no-save --no-audit --no-fund",
        "npm e2e ci --no-audit --no-fund",
        "npm e2e install --no-save --no-audit --no-fund",
        "npm frontend run build",
    ]
    assert "npm ci refused frontend/package-lock.json" in result.stderr


def test_setup_fails_when_npm_cannot_install_at_all(tmp_path: Path) -> None:
    repo = node_repo(tmp_path / "repo")
    recorder(tmp_path / "bin", "npm", tmp_path / "npm.log", "exit 1")
    result = run_make(repo, tmp_path / "bin", "setup")
    assert result.returncode != 0
    assert not (repo / ".venv" / ".tickhub-setup").exists()  # tried again next time


def test_a_changed_dashboard_source_rebuilds_only_the_export(
    npm_repo: tuple[Path, Path, Path],
) -> None:
    repo, bin_dir, log = npm_repo
    assert run_make(repo, bin_dir, "setup").returncode == 0
    log.unlink()
    newer(repo / "frontend" / "app" / "page.tsx")
    assert run_make(repo, bin_dir, "-q", "setup").returncode == 1
    assert run_make(repo, bin_dir, "setup").returncode == 0
    assert [line.split(" |")[0] for line in calls(log)] == ["npm frontend run build"]


def test_a_changed_e2e_lockfile_redoes_setup(npm_repo: tuple[Path, Path, Path]) -> None:
    repo, bin_dir, log = npm_repo
    assert run_make(repo, bin_dir, "setup").returncode == 0
    log.unlink()
    newer(repo / "e2e" / "package-lock.json")
    assert run_make(repo, bin_dir, "setup").returncode == 0
    assert "npm e2e ci --no-audit --no-fund" in [line.split(" |")[0] for line in calls(log)]


def test_make_test_runs_the_dashboard_and_browser_tests_after_pytest() -> None:
    result = subprocess.run(
        [MAKE, "--no-print-directory", "-n", "test"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()

    def first(*words: str) -> int:
        return next(i for i, line in enumerate(lines) if all(w in line for w in words))

    pytest_at = first("run", "pytest")
    vitest_at = first("cd frontend", "npm test", "npm run lint")
    e2e_at = first("cd e2e", "npm run typecheck", "npm test")
    assert pytest_at < vitest_at < e2e_at


# --- .ci/run -------------------------------------------------------------------------

LOCK_WAIT = "-o DPkg::Lock::Timeout=300"


def ci_copy(tmp_path: Path, *, root: bool, apt_fails_first: bool = False) -> tuple[Path, Path]:
    """.ci/run in an empty checkout, with recording make, apt-get and sudo (and an
    `id` saying who we are) ahead of the real tools on PATH."""
    repo = tmp_path / "repo"
    (repo / ".ci").mkdir(parents=True)
    shutil.copy(ROOT / ".ci" / "run", repo / ".ci" / "run")
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    recorder(bin_dir, "make", log)
    marker = tmp_path / "apt-failed-once"
    fail_once = f'if [[ "$*" == *install* && ! -e {marker} ]]; then touch {marker}; exit 100; fi'
    recorder(bin_dir, "apt-get", log, fail_once if apt_fails_first else "")
    recorder(bin_dir, "sudo", log, '[[ "$1" == -n ]] && shift; exec "$@"')
    (bin_dir / "id").write_text(f"#!/bin/sh\necho {0 if root else 1000}\n")
    (bin_dir / "id").chmod(0o755)
    return repo, log


def run_ci(repo: Path, bin_dir: Path, chromium: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(repo),
        "TICKHUB_CHROMIUM": str(chromium),
    }
    return subprocess.run(
        ["bash", str(repo / ".ci" / "run")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_ci_with_chromium_present_installs_nothing_and_requires_the_browser_tests(
    tmp_path: Path,
) -> None:
    repo, log = ci_copy(tmp_path, root=True)
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)
    result = run_ci(repo, tmp_path / "bin", chromium)
    assert result.returncode == 0, result.stderr
    (only,) = calls(log)
    assert only.startswith("make repo test |")
    assert "required=1" in only
    assert "db=postgresql://postgres@127.0.0.1:5432/test" in only


def test_ci_installs_chromium_as_root_updating_the_lists_when_the_first_try_fails(
    tmp_path: Path,
) -> None:
    repo, log = ci_copy(tmp_path, root=True, apt_fails_first=True)
    result = run_ci(repo, tmp_path / "bin", tmp_path / "no-chromium-here")
    assert result.returncode == 0, result.stderr
    lines = [line.split(" |")[0] for line in calls(log)]
    assert lines == [
        f"apt-get repo {LOCK_WAIT} install -y -q chromium",
        f"apt-get repo {LOCK_WAIT} update -q",
        f"apt-get repo {LOCK_WAIT} install -y -q chromium",
        "make repo test",
    ]
    assert all("frontend=noninteractive" in line for line in calls(log) if "apt-get" in line)


def test_ci_installs_chromium_through_sudo_when_not_root(tmp_path: Path) -> None:
    repo, log = ci_copy(tmp_path, root=False)
    result = run_ci(repo, tmp_path / "bin", tmp_path / "no-chromium-here")
    assert result.returncode == 0, result.stderr
    lines = [line.split(" |")[0] for line in calls(log)]
    apt = f"env DEBIAN_FRONTEND=noninteractive apt-get {LOCK_WAIT} install -y -q chromium"
    assert lines[0] == f"sudo repo -n {apt}"
    assert lines[1:] == [f"apt-get repo {LOCK_WAIT} install -y -q chromium", "make repo test"]


def test_ci_stops_when_chromium_cannot_be_installed(tmp_path: Path) -> None:
    repo, log = ci_copy(tmp_path, root=True)
    recorder(tmp_path / "bin", "apt-get", log, "exit 100")
    result = run_ci(repo, tmp_path / "bin", tmp_path / "no-chromium-here")
    assert result.returncode != 0
    assert not any(line.startswith("make ") for line in calls(log))


# --- the e2e runner without a browser ---------------------------------------------------


def run_e2e(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run(
        [NODE, str(ROOT / "e2e" / "run.mjs")],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(NODE is None, reason="node not installed (Node 20 is a requirement)")
def test_without_chromium_the_browser_tests_skip_in_one_line_saying_how_to_enable(
    tmp_path: Path,
) -> None:
    result = run_e2e({"TICKHUB_CHROMIUM": str(tmp_path / "none")})
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert "skipped" in line and str(tmp_path / "none") in line
    assert "TICKHUB_E2E_REQUIRED=1" in line
    assert result.stderr == ""


@pytest.mark.skipif(NODE is None, reason="node not installed (Node 20 is a requirement)")
@pytest.mark.parametrize("variable", ["TICKHUB_CHROMIUM", None])
def test_when_required_a_missing_chromium_fails(tmp_path: Path, variable: str | None) -> None:
    env = {"TICKHUB_E2E_REQUIRED": "1"}
    if variable:
        env[variable] = str(tmp_path / "none")
    elif Path("/usr/bin/chromium").exists():
        pytest.skip("this machine has /usr/bin/chromium: the default path is present")
    result = run_e2e(env)
    assert result.returncode == 1
    assert "FAILED" in result.stderr and "TICKHUB_E2E_REQUIRED" in result.stderr
