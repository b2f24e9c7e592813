"""README.md says first what a newcomer needs, and its settings table is Settings."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tickhub_cli import up
from tickhub_runtime.settings import Settings

ROOT = Path(__file__).parents[3]
README = (ROOT / "README.md").read_text()


def _sections() -> list[tuple[str, str]]:
    parts = re.split(r"^## (.+)$", README, flags=re.M)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def test_the_first_section_is_the_two_commands_and_what_they_need() -> None:
    title, body = _sections()[0]
    first_block = re.search(r"```sh\n(.*?)```", body, re.S)
    assert first_block is not None, f"the first section ({title}) has no commands"
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make up", "make test"]
    for need in ("Python 3.11", "Node 20", "make", "C++", "zh_CN.GB18030"):
        assert need in body


def test_there_is_a_mermaid_architecture_diagram() -> None:
    diagram = re.search(r"```mermaid\n(.*?)```", README, re.S)
    assert diagram is not None
    text = diagram.group(1)
    assert text.startswith("flowchart")
    for part in ("NATS", "GatewayManager", "publisher", "ZeroMQ", "health", "failover"):
        assert part in text


def test_the_settings_table_lists_every_field() -> None:
    for name in Settings.model_fields:
        assert f"`TICKHUB_{name.upper()}`" in README, f"README lacks TICKHUB_{name.upper()}"


def test_the_settings_table_is_the_generated_one() -> None:
    generated = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "settings-table.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    assert generated in README, (
        "README's settings table differs from Settings: run "
        "`uv run python scripts/settings-table.py --write`"
    )


def test_the_environment_sizes_cover_every_service() -> None:
    (_, body), *_ = [(t, b) for t, b in _sections() if t == "Environment sizes"]
    rows = {line.split("|")[1].strip() for line in body.splitlines() if line.startswith("| ")}
    assert set(up.SERVICES) <= rows
    assert "scripts/env-sizes.sh" in body


def test_relative_links_resolve() -> None:
    for target in re.findall(r"\]\(([^)#:]+)\)", README):
        assert (ROOT / target).exists(), f"README links to missing {target}"
