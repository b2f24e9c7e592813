"""`tickhub up --demo ctp`: the demo pool as two ``ctp`` accounts on two local CTP
fronts, the real vnpy_ctp path a desk uses, watched in a minute without a broker."""

from __future__ import annotations

import json
import signal
import socket
from pathlib import Path

import msgspec
import pytest

from tests.integration.cli.running import (
    descendants,
    first_tick,
    hub_env,
    running_up,
    tickhub,
    wait_until,
)
from tickhub_cli.ports import free_port
from tickhub_contracts.messages import GatewayStatus

pytestmark = pytest.mark.integration

START_S = 90
STOP_S = 60


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def demo_base_port() -> int:
    """A base whose four ports (two fronts, their control ports ten above) are free."""
    for _ in range(50):
        base = free_port()
        if base + 11 <= 65535 and all(_free(base + d) for d in (0, 1, 10, 11)):
            return base
    raise AssertionError("no four free ports for the demo fronts")


def test_up_demo_ctp_runs_two_ctp_accounts_on_two_local_fronts(
    tmp_path: Path, database_url: str, ctp_locale_dir: Path
) -> None:
    base = demo_base_port()
    data_dir = tmp_path / "hub"
    env = hub_env(
        data_dir,
        TICKHUB_DATABASE_URL=database_url,
        TICKHUB_CTP_DEMO_PORT=str(base),
        TICKHUB_CTP_LOCALE_DIR=str(ctp_locale_dir),
    )
    with running_up(env, "--demo", "ctp") as up:
        up.stdout.wait_for(lambda line: line.startswith("Ctrl-C stops everything"), START_S)
        assert (
            f"CTP      local fronts tcp://127.0.0.1:{base}, tcp://127.0.0.1:{base + 1}"
            in up.stdout.text
        )
        password = (data_dir / "ctp-front-password").read_text().strip()
        assert password not in up.stdout.text + up.stderr.text

        statuses: dict[str, GatewayStatus] = {}

        def both_connected() -> bool:
            nonlocal statuses
            result = tickhub("status", "--json", env=env)
            if result.returncode != 0:
                return False
            statuses = {
                s.source: s for s in msgspec.json.decode(result.stdout, type=list[GatewayStatus])
            }
            return set(statuses) == {"ctp-a", "ctp-b"} and all(
                s.gateway_type == "ctp" and s.connected for s in statuses.values()
            )

        wait_until(both_connected, START_S, "ctp-a and ctp-b logged in to their fronts")

        # Each front saw its account log in (both sides) and subscribe.
        for offset in (10, 11):
            control = f"127.0.0.1:{base + offset}"
            front = tickhub("ctp-front", "fault", "status", "--control", control, env=env)
            assert front.returncode == 0, front.stderr
            state = json.loads(front.stdout)
            # Its md and its td side (the instrument query for the catalog).
            assert state["logged_in"] == ["rehearsal", "rehearsal"], state
            assert sorted(session["api"] for session in state["sessions"]) == ["md", "td"]
            assert "rb2605" in state["subscriptions"]

        # The catalog comes from the fronts' trading side; the universe's rebar main
        # contract leaves under its alias.
        tick = first_tick(env["TICKHUB_ZMQ_PUB"], b"rb888.SHFE", timeout_s=START_S)
        assert tick.source in {"ctp-a", "ctp-b"} and tick.live
        assert tick.symbol.startswith("rb") and tick.symbol != "rb888"

        tree = descendants(up.pid)
        fronts = [pid for pid, _ in tree if "ctp-front" in Path(f"/proc/{pid}/cmdline").read_text()]
        assert len(fronts) == 2, tree
        assert up.stop(signal.SIGTERM, STOP_S) == 0
    assert "Traceback" not in up.stderr.text
    for pid, _ in tree:
        assert not Path(f"/proc/{pid}").exists() or "tickhub" not in Path(
            f"/proc/{pid}/cmdline"
        ).read_text(errors="replace"), f"{pid} left running"
