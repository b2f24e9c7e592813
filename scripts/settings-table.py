"""The README's settings table, generated from tickhub_runtime.settings.Settings.

    uv run python scripts/settings-table.py            # print the table
    uv run python scripts/settings-table.py --write    # replace it in README.md

A test (tests/unit/docs) fails when README.md and Settings disagree; this puts
them back in step.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pydantic_core import PydanticUndefined

from tickhub_runtime.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"
BEGIN = "<!-- settings-table:begin (scripts/settings-table.py --write) -->"
END = "<!-- settings-table:end -->"


def _default(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, str):
        return f"`{value}`" if value else '`""`'
    if isinstance(value, (list, dict)):
        # As the environment variable takes it (times as "HH:MM").
        return f"`{json.dumps(value, default=lambda v: v.isoformat(timespec='minutes'))}`"
    return f"`{value}`"


def table() -> str:
    prefix = Settings.model_config.get("env_prefix", "")
    rows = ["| Variable | Default | Description |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = field.default
        if default is PydanticUndefined and field.default_factory is not None:
            default = field.default_factory()  # type: ignore[call-arg]
        description = (field.description or "").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{prefix}{name.upper()}` | {_default(default)} | {description} |")
    return "\n".join(rows)


def block() -> str:
    return f"{BEGIN}\n{table()}\n{END}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="replace the table in README.md")
    args = parser.parse_args()
    if not args.write:
        print(block())
        return
    text = README.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    README.write_text(text[:start] + block() + text[end:])


if __name__ == "__main__":
    main()
