"""`tickhub status|start|stop|restart|fault` and `tickhub <service>` against a real
bus: every failure is one line with exit 1, and a real GatewayManager obeys."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from tests.integration.cli.running import (
    TICKHUB,
    Output,
    hub_env,
    mentioning,
    tickhub,
    wait_until,
)
from tickhub_cli.natsserver import NatsServer
from tickhub_cli.ports import free_port
from tickhub_contracts.messages import GatewayStatus

pytestmark = pytest.mark.integration

START_S = 90


def _one_line(text: str) -> bool:
    return text.count("\n") == 1 and "Traceback" not in text


@pytest.mark.parametrize(
    "argv",
    [["status"], ["status", "sim-a"], ["restart", "sim-a"], ["fault", "sim-a", "stall"]],
)
def test_no_nats_is_one_line_and_exit_1(tmp_path: Path, argv: list[str]) -> None:
    closed = free_port()
    env = hub_env(tmp_path, TICKHUB_NATS_URL=f"nats://127.0.0.1:{closed}")
    result = tickhub(*argv, env=env, timeout=30)
    assert result.returncode == 1
    assert result.stderr.startswith(f"tickhub: cannot reach NATS at nats://127.0.0.1:{closed}")
    assert _one_line(result.stderr)


@pytest.mark.parametrize(
    ("argv", "subject"),
    [
        (["status"], "tickhub.pool"),
        (["stop", "sim-b"], "tickhub.control.sim-b"),
        (["fault", "sim-a", "crash"], "tickhub.control.sim-a"),
    ],
)
def test_no_manager_answering_is_one_line_and_exit_1(
    tmp_path: Path, nats_server: NatsServer, argv: list[str], subject: str
) -> None:
    env = hub_env(tmp_path)
    result = tickhub(*argv, "--nats-url", nats_server.url, env=env, timeout=30)
    assert result.returncode == 1
    assert result.stderr.startswith(f"tickhub: no gateway manager answers on {subject} ")
    assert _one_line(result.stderr)


@pytest.fixture
def gateway(tmp_path: Path, nats_server: NatsServer) -> Iterator[dict[str, str]]:
    """`tickhub gateway` in the foreground (what its container runs), on the test's bus;
    yields the environment for commands to it."""
    # The gateway runs no default sources: a static pool of two sims, as once the default.
    sims = [
        {
            "name": name,
            "gateway_type": "sim",
            "priority": priority,
            "canary": "rb2605.SHFE",
            "contracts": ["rb2605.SHFE", "m2605.DCE"],
            "sim": {},
        }
        for name, priority in (("sim-a", 1), ("sim-b", 2))
    ]
    env = hub_env(tmp_path / "data", TICKHUB_SOURCES=json.dumps(sims))
    process = subprocess.Popen(
        [TICKHUB, "gateway", "--nats-url", nats_server.url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stderr is not None
    output = Output(process.stderr)
    env["TICKHUB_NATS_URL"] = nats_server.url
    try:
        yield env
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
        output.join()
        assert "Traceback" not in output.text
        # Its workers went with it.
        wait_until(lambda: mentioning(str(tmp_path / "data")) == [], 10, "no worker left")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _statuses(env: dict[str, str], *argv: str) -> dict[str, GatewayStatus]:
    result = tickhub("status", "--json", *argv, env=env)
    if result.returncode != 0:
        return {}
    return {s.source: s for s in msgspec.json.decode(result.stdout, type=list[GatewayStatus])}


def _state(env: dict[str, str], source: str, state: str, connection: str | None = None) -> bool:
    status = _statuses(env).get(source)
    return (
        status is not None
        and status.state == state
        and (connection is None or status.connection == connection)
    )


def test_operator_commands_reach_a_real_gateway_manager(gateway: dict[str, str]) -> None:
    env = gateway
    wait_until(lambda: _state(env, "sim-a", "running", "connected"), START_S, "sim-a connected")
    wait_until(lambda: _state(env, "sim-b", "running", "connected"), START_S, "sim-b connected")

    table = tickhub("status", env=env)
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split()[:3] == ["SOURCE", "TYPE", "PRIO"]
    assert [row.split()[:4] for row in rows] == [
        ["sim-a", "sim", "1", "running"],
        ["sim-b", "sim", "2", "running"],
    ]
    one = tickhub("status", "sim-b", "--json", env=env)
    assert one.returncode == 0
    assert [s.source for s in msgspec.json.decode(one.stdout, type=list[GatewayStatus])] == [
        "sim-b"
    ]

    stop = tickhub("stop", "sim-b", env=env)
    assert stop.returncode == 0, stop.stderr
    assert stop.stdout.startswith("sim-b: stop ok (stopped")
    wait_until(lambda: _statuses(env)["sim-b"].manual_stop, 30, "sim-b manually stopped")
    assert "stopped (manual)" in tickhub("status", env=env).stdout

    start = tickhub("start", "sim-b", env=env)
    assert start.returncode == 0, start.stderr
    wait_until(lambda: _state(env, "sim-b", "running", "connected"), START_S, "sim-b back")

    old_pid = _statuses(env)["sim-a"].pid
    restart = tickhub("restart", "sim-a", env=env)
    assert restart.returncode == 0, restart.stderr
    assert restart.stdout.startswith("sim-a: restart ok")
    wait_until(
        lambda: (
            _state(env, "sim-a", "running", "connected") and _statuses(env)["sim-a"].pid != old_pid
        ),
        START_S,
        "sim-a restarted as a new process",
    )

    stall = tickhub("fault", "sim-a", "stall", env=env)
    assert stall.returncode == 0, stall.stderr
    assert stall.stdout.startswith("sim-a: fault stall ok")
    assert tickhub("fault", "sim-a", "resume", env=env).returncode == 0


def test_a_command_the_manager_refuses_is_one_line_and_exit_1(gateway: dict[str, str]) -> None:
    env = gateway
    wait_until(lambda: bool(_statuses(env)), START_S, "the manager answers")
    result = tickhub("restart", "nosuch", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("tickhub: nosuch: restart refused: ")
    assert _one_line(result.stderr)


def test_a_service_command_checks_its_port_first(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = hub_env(tmp_path, TICKHUB_API_PORT=str(port))
        result = tickhub("api", env=env, timeout=30)
    assert result.returncode == 2
    assert result.stderr == f"tickhub: port {port} (TICKHUB_API_PORT) is already in use\n"
