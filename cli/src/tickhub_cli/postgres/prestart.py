"""The api's prestart (migrations, demo accounts), run as a child."""

from __future__ import annotations

import subprocess
import sys

from .errors import PostgresError


def run_prestart(env: dict[str, str], *, demo: str = "sim", wait_s: float = 60.0) -> None:
    """Migrate the database TICKHUB_DATABASE_URL (in ``env``) names and add the ``demo``
    accounts (sim, ctp or none; see the api's prestart): ``python -m tickhub_api
    prestart`` as a child (the CLI starts services, it does not import them)."""
    command = [
        sys.executable,
        "-m",
        "tickhub_api",
        "prestart",
        "--wait",
        str(wait_s),
        "--demo",
        demo,
    ]
    result = subprocess.run(
        command, env=env, stderr=subprocess.PIPE, timeout=wait_s + 120, check=False
    )
    text = result.stderr.decode(errors="replace")
    sys.stderr.write(text)  # its log lines, in the stream of `tickhub up`'s own
    if result.returncode != 0:
        lines = text.strip().splitlines()
        raise PostgresError(lines[-1] if lines else f"prestart exited with {result.returncode}")
