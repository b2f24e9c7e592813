"""`tickhub up` as a user runs it: a real process with the bundled nats-server (or a
given one), every real service, real ZeroMQ, and nothing left behind when it ends."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from tests.integration.cli.running import (
    TICKHUB,
    Output,
    Up,
    alive,
    cmdline,
    descendants,
    first_tick,
    hub_env,
    mentioning,
    running_up,
    tickhub,
    wait_until,
)
from tickhub_cli.natsserver import NatsServer
from tickhub_contracts.messages import GatewayStatus

pytestmark = pytest.mark.integration

START_S = 90  # a loaded 2-core machine imports vnpy in every worker
STOP_S = 60


def _pool(env: dict[str, str], *args: str) -> list[GatewayStatus]:
    result = tickhub("status", "--json", *args, env=env)
    if result.returncode != 0:
        return []
    return msgspec.json.decode(result.stdout, type=list[GatewayStatus])


def _sources_running(env: dict[str, str], *args: str) -> dict[str, GatewayStatus]:
    statuses = {s.source: s for s in _pool(env, *args)}
    if set(statuses) != {"sim-a", "sim-b"}:
        return {}
    if not all(s.state == "running" and s.connection == "connected" for s in statuses.values()):
        return {}
    return statuses


def _api_health(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            return bool(json.load(response) == {"status": "ok"})
    except OSError:
        return False


def _services(up: Up) -> dict[str, int]:
    """Service name -> pid of the direct children of `up` running `-m tickhub_<name>`."""
    found = {}
    for pid, _ in descendants(up.pid):
        words = cmdline(pid).split()
        if "-m" in words and Path(f"/proc/{pid}/stat").exists():
            name = words[words.index("-m") + 1].removeprefix("tickhub_")
            parent = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
            if int(parent) == up.pid:
                found[name] = pid
    return found


def _assert_nothing_left(tree: list[tuple[int, int]], data_dir: Path) -> None:
    left = [f"{pid}: {cmdline(pid)}" for pid, start in tree if alive((pid, start))]
    assert left == [], f"processes of `tickhub up` still running: {left}"
    assert mentioning(str(data_dir)) == []


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A data dir the embedded PostgreSQL's unprivileged server user can reach: run as
    root, pytest's tmp_path sits below a directory only root may enter."""
    path = Path(tempfile.mkdtemp(prefix="tickhub-up-"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_up_runs_the_hub_and_stops_it_cleanly_on_sigterm(open_dir: Path) -> None:
    """The newcomer's `make up`: no TICKHUB_DATABASE_URL, so an embedded PostgreSQL,
    migrated and seeded with the demo sims that then run and tick."""
    data_dir = open_dir / "hub"
    env = hub_env(data_dir)
    nats_port, api_port = env["TICKHUB_NATS_PORT"], int(env["TICKHUB_API_PORT"])
    zmq_endpoint = env["TICKHUB_ZMQ_PUB"]
    with running_up(env) as up:
        up.stdout.wait_for(lambda line: line.startswith("Ctrl-C stops everything"), START_S)
        banner = up.stdout.text
        assert f"nats://127.0.0.1:{nats_port}" in banner
        assert zmq_endpoint in banner
        assert f"http://127.0.0.1:{api_port}" in banner
        assert "tickhub tail" in banner
        assert "database postgresql://" in banner and "/#token=" in banner
        token = (data_dir / "api-token").read_text().strip()
        assert token not in up.stderr.text  # the token is in the login URL only

        # A second hub on the same data dir would share CTP flow files: refused.
        second = tickhub("up", env=env)
        assert second.returncode == 2
        assert second.stderr.startswith(f"tickhub: data dir {data_dir.resolve()} is in use")

        wait_until(lambda: _api_health(api_port), START_S, "API /health")
        wait_until(lambda: bool(_sources_running(env)), START_S, "sim-a and sim-b running")

        # The demo runs on a universe (rb.SHFE, ..., rb888.SHFE), resolved against the
        # catalog the sims list: rebar's main contract leaves on ZeroMQ under its alias,
        # as [topic, msgpack] with the real contract inside, stamped by the publisher.
        tick = first_tick(zmq_endpoint, b"rb888.SHFE", timeout_s=START_S)
        assert tick.symbol.startswith("rb") and tick.symbol != "rb888"
        assert tick.source in {"sim-a", "sim-b"} and tick.seq is not None

        # What the banner says to run: `tickhub tail SYMBOL` prints ticks until Ctrl-C.
        tail = subprocess.Popen(
            [TICKHUB, "tail", "rb888.SHFE"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert tail.stdout is not None
            Output(tail.stdout).wait_for(lambda line: "rb888.SHFE" in line, 30)
            tail.send_signal(signal.SIGINT)
            assert tail.wait(15) == 0
        finally:
            if tail.poll() is None:
                tail.kill()
                tail.wait(10)

        services = _services(up)
        assert set(services) == {"gateway", "health", "failover", "publisher", "api"}
        tree = descendants(up.pid)
        # nats-server, five services and the two sim workers at least (the embedded
        # PostgreSQL is checked by the data-dir scan below: it runs as its own user).
        assert len(tree) >= 8, [cmdline(pid) for pid, _ in tree]
        assert any("postgres" in line for line in mentioning(str(data_dir)))

        # A service that dies is restarted, and the sweep of its orphans spares the bus
        # and the embedded database: they are `up`'s own, not the dead service's.
        def postmaster() -> list[str]:
            return [
                line for line in mentioning(str(data_dir)) if "postgres" in line and "-D" in line
            ]

        assert postmaster()
        os.kill(services["health"], signal.SIGKILL)
        up.stderr.wait_for(lambda line: "health: restarting in" in line, 30)
        assert postmaster(), "the orphan sweep stopped the embedded PostgreSQL"
        wait_until(lambda: _api_health(api_port), 30, "API /health after the sweep")

        assert up.stop(signal.SIGTERM, STOP_S) == 0
    _assert_nothing_left(tree, data_dir)
    assert "Traceback" not in up.stderr.text
    assert "all stopped" in up.stderr.text


def test_up_on_a_given_nats_restarts_a_dead_service_without_its_orphans(
    tmp_path: Path, nats_server: NatsServer, database_url: str
) -> None:
    data_dir = tmp_path / "hub"
    env = hub_env(data_dir, TICKHUB_DATABASE_URL=database_url)
    with running_up(env, "--nats-url", nats_server.url) as up:
        up.stdout.wait_for(lambda line: line.startswith("Ctrl-C stops everything"), START_S)
        assert "bundled" not in up.stdout.text
        assert not (data_dir / "nats").exists()
        url = ("--nats-url", nats_server.url)
        before: dict[str, GatewayStatus] = {}

        def running() -> bool:
            nonlocal before
            before = _sources_running(env, *url)
            return bool(before)

        wait_until(running, START_S, "sim-a and sim-b running")
        manager = _services(up)["gateway"]
        workers = descendants(manager)
        assert {pid for pid, _ in workers} >= {s.pid for s in before.values()}

        # The manager dies hard: its workers must not live on beside the new manager's.
        os.kill(manager, signal.SIGKILL)
        wait_until(
            lambda: not any(alive(w) for w in workers), 30, "the dead manager's workers stopped"
        )
        after: dict[str, GatewayStatus] = {}

        def back() -> bool:
            nonlocal after
            after = _sources_running(env, *url)
            return bool(after) and all(s.pid not in {p for p, _ in workers} for s in after.values())

        wait_until(back, START_S, "a new manager runs sim-a and sim-b again")
        assert _services(up)["gateway"] != manager
        up.stderr.wait_for(lambda line: "gateway exited unexpectedly (ended by SIGKILL)" in line, 5)

        tree = descendants(up.pid)
        # Ctrl-C in a terminal.
        assert up.stop(signal.SIGINT, STOP_S) == 0
    _assert_nothing_left(tree, data_dir)
    assert nats_server.process is not None and nats_server.process.poll() is None


@pytest.mark.parametrize("setting", ["TICKHUB_NATS_PORT", "TICKHUB_ZMQ_PUB", "TICKHUB_API_PORT"])
def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path, setting: str) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        value = f"tcp://127.0.0.1:{port}" if setting == "TICKHUB_ZMQ_PUB" else str(port)
        env = hub_env(tmp_path / "hub", **{setting: value})
        result = tickhub("up", env=env)
    assert result.returncode == 2
    assert result.stderr == f"tickhub: port {port} ({setting}) is already in use\n"
    assert result.stdout == ""
    assert not (tmp_path / "hub" / "nats").exists()  # nothing was started
    assert mentioning(str(tmp_path / "hub")) == []


def test_a_bad_setting_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = hub_env(tmp_path / "hub", TICKHUB_ZMQ_PUB="127.0.0.1:5555")
    result = tickhub("up", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("tickhub: ZeroMQ endpoint '127.0.0.1:5555'")
    assert result.stderr.count("\n") == 1


def test_an_unusable_data_dir_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    data_dir = tmp_path / "file" / "hub"
    result = tickhub("up", env=hub_env(data_dir))
    assert result.returncode == 2
    assert result.stderr == f"tickhub: cannot use data dir {data_dir}: Not a directory\n"
