"""scripts/check-package.py, the check that each package declares what it imports
(tests/integration/test_packages_alone.py runs it in each package's own environment)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).parents[3]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_package", ROOT / "scripts" / "check-package.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its NamedTuple resolves its annotations through it
    spec.loader.exec_module(module)
    return module


check = _load()

PROVIDERS = {"zmq": ["pyzmq"], "nats": ["nats-py"], "yaml": ["PyYAML"]}


def _problems(tmp_path: Path, source: str, declared: set[str]) -> list[str]:
    module = tmp_path / "tickhub_thing" / "app.py"
    module.parent.mkdir(exist_ok=True)
    module.write_text(source)
    problems: list[str] = check.undeclared([module], "tickhub_thing", declared, PROVIDERS)
    return problems


def test_an_import_of_an_undeclared_distribution_is_a_problem(tmp_path: Path) -> None:
    source = "import zmq\nfrom nats.aio.client import Client\n"
    [problem] = _problems(tmp_path, source, {"pyzmq", "tickhub-runtime"})
    assert "app.py:2: imports nats" in problem and "nats-py" in problem


def test_stdlib_the_package_itself_and_what_it_declares_are_fine(tmp_path: Path) -> None:
    source = (
        "from __future__ import annotations\nimport asyncio, os.path\nimport zmq\n"
        "from tickhub_thing import other\nfrom . import sibling\n"
        "from tickhub_contracts import subjects\nimport yaml\n"
    )
    assert _problems(tmp_path, source, {"pyzmq", "tickhub-contracts", "pyyaml"}) == []


def test_a_workspace_package_counts_only_when_declared(tmp_path: Path) -> None:
    # Not in the providers (installed editable): known by its own name.
    [problem] = _problems(tmp_path, "from tickhub_markets import sessions\n", {"tickhub-runtime"})
    assert "tickhub-markets" in problem


def test_an_import_that_may_fail_is_optional(tmp_path: Path) -> None:
    source = (
        "def front():\n"
        "    try:\n"
        "        from tickhub_gateway.localctp.front import cli\n"
        "    except ImportError:\n"
        "        return None\n"
        "    return cli\n"
        "try:\n"
        "    import zmq\n"
        "except (OSError, ModuleNotFoundError):\n"
        "    import nats\n"  # the fallback itself is not optional
    )
    [problem] = _problems(tmp_path, source, set())
    assert "imports nats" in problem


@pytest.mark.parametrize(
    ("requirement", "name"),
    [
        ("nats-py>=2.9", "nats-py"),
        ("tortoise-orm[asyncpg]<1.2,>=1.1", "tortoise-orm"),
        ("Tickhub_Contracts", "tickhub-contracts"),
        ("uvloop>=0.21; sys_platform != 'win32'", "uvloop"),
        ('pytest; extra == "test"', None),
    ],
)
def test_requirements_are_read_by_their_normalised_name(requirement: str, name: str | None) -> None:
    assert check.requirement_name(requirement) == name


def test_a_module_that_does_not_import_is_a_problem(tmp_path: Path) -> None:
    package = tmp_path / "tickhub_broken_example"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "fine.py").write_text("VALUE = 1\n")
    (package / "broken.py").write_text("import tickhub_not_installed_anywhere\n")
    (package / "__main__.py").write_text("raise SystemExit('runs the program: never imported')\n")
    sys.path.insert(0, str(tmp_path))
    try:
        problems = check.import_all("tickhub_broken_example", package)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.startswith("tickhub_broken_example")]:
            del sys.modules[name]
    assert len(problems) == 1
    assert problems[0].startswith("tickhub_broken_example.broken does not import")
    assert "ModuleNotFoundError" in problems[0]
