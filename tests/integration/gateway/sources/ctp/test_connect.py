"""The real vnpy_ctp API, in process, against real local sockets.

No CTP front is reachable here, so the fronts are a closed port, a listener that
drops every connection and one that accepts and says nothing. What CTP itself does
(found with these tests): a closed port and a silent listener get no callback at all
(the latter a heartbeat timeout, 0x2001, after ~2 minutes); a dropped connection
gets ``OnFrontDisconnected(0x1001)`` about once a second. The gateway must turn each
into an honest ``disconnected`` within a bounded time.

Each test runs in its own tmp dir: CTP writes its flow files into the working dir.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from vnpy.event import Event, EventEngine

from tickhub_contracts.messages import Connection, CtpSettings, SourceConfig
from tickhub_gateway.sources.base import EVENT_CONNECTION
from tickhub_gateway.sources.ctp.codes import NO_FRONT_ANSWER
from tickhub_gateway.sources.ctp.gateway import CtpSourceGateway
from tickhub_harness.bare_fronts import Listener, closed_port

pytestmark = pytest.mark.integration

CONNECT_TIMEOUT_S = 2.0
# CTP retries about once a second; the watchdog adds a ~1 s probe per front.
WAIT_S = 20.0
CLOSE_S = 10.0


class Running:
    """A started CtpSourceGateway whose Connection events land in a queue."""

    def __init__(self, md_fronts: list[str], td_front: str = "") -> None:
        self.engine = EventEngine(interval=0.1)  # type: ignore[arg-type]  # vnpy sleeps it
        self.connections: queue.Queue[Connection] = queue.Queue()
        self.engine.register(EVENT_CONNECTION, self._on_connection)
        config = SourceConfig(
            name="ctp-a",
            gateway_type="ctp",
            contracts=["rb2605.SHFE"],
            ctp=CtpSettings(
                userid="000001",
                password="not-a-password",
                broker_id="9999",
                md_fronts=md_fronts,
                td_front=td_front,
                connect_timeout_s=CONNECT_TIMEOUT_S,
            ),
        )
        self.gateway = CtpSourceGateway(self.engine, config)
        self.engine.start()
        self.seen: list[Connection] = []
        self.started_at = time.monotonic()
        self.gateway.start()

    def _on_connection(self, event: Event) -> None:
        self.connections.put(event.data)

    def wait_for(self, state: str, reason_code: int | None = None) -> Connection:
        deadline = time.monotonic() + WAIT_S
        while (left := deadline - time.monotonic()) > 0:
            try:
                conn = self.connections.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(conn)
            if conn.state == state and (reason_code is None or conn.reason_code == reason_code):
                return conn
        raise AssertionError(f"no {state}/{reason_code} within {WAIT_S} s; saw {self.seen}")

    def close(self) -> float:
        """Close on a helper thread, bounded; returns how long it took."""
        if not self.engine._active:
            return 0.0
        began = time.monotonic()
        closer = threading.Thread(target=self.gateway.close, daemon=True)
        closer.start()
        closer.join(CLOSE_S)
        assert not closer.is_alive(), "gateway.close() hangs"
        took = time.monotonic() - began
        self.engine.stop()
        return took


class Harness:
    """Starts gateways and listeners for one test and stops them all after it."""

    def __init__(self) -> None:
        self.made: list[Running] = []
        self.listeners: list[Listener] = []

    def __call__(self, md_fronts: list[str], td_front: str = "") -> Running:
        running = Running(md_fronts, td_front)
        self.made.append(running)
        return running

    def listener(self, hold: bool = False) -> Listener:
        listener = Listener(hold)
        self.listeners.append(listener)
        return listener

    def close(self) -> None:
        for running in self.made:
            running.close()
        for listener in self.listeners:
            listener.close()


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    monkeypatch.chdir(tmp_path)
    harness = Harness()
    yield harness
    harness.close()


def test_closed_port_reports_disconnected_after_the_connect_timeout(
    run: Harness, tmp_path: Path
) -> None:
    port = closed_port()
    ctp = run([f"127.0.0.1:{port}"])
    connecting = ctp.wait_for("connecting")
    assert f"tcp://127.0.0.1:{port}" in connecting.message
    down = ctp.wait_for("disconnected")
    elapsed = time.monotonic() - ctp.started_at
    # CTP itself never says a word about a refused connection: the watchdog did.
    assert down.reason_code == NO_FRONT_ANSWER
    assert elapsed >= CONNECT_TIMEOUT_S
    assert "no md front answered within 2 s" in down.message
    assert f"tcp://127.0.0.1:{port}: connection refused" in down.message
    assert down.source == "ctp-a"
    # The flow files are the source's own, under its working dir.
    flow = tmp_path / ".vntrader" / "ctp" / "md"
    assert (flow / "DialogRsp.con").exists()
    assert not (tmp_path / ".vntrader" / "ctp" / "td").exists()  # md only: no td api
    assert ctp.close() < CLOSE_S


def test_dropping_listener_reports_ctps_reason_code(run: Harness) -> None:
    listener = run.listener()
    ctp = run([listener.address])
    down = ctp.wait_for("disconnected")
    assert down.reason_code == 0x1001 == 4097
    assert down.message == "0x1001 network read failed"
    assert listener.accepted >= 1
    assert time.monotonic() - ctp.started_at < CONNECT_TIMEOUT_S + WAIT_S
    # CTP reports the same drop every second; the gateway reports the state once.
    accepted = listener.accepted
    deadline = time.monotonic() + 10
    while listener.accepted < accepted + 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # polling a counter with no event to wait on
    assert listener.accepted >= accepted + 2, "CTP stopped retrying"
    assert [c.state for c in ctp.seen].count("disconnected") == 1
    assert ctp.connections.empty()


def test_silent_listener_is_reported_by_the_watchdog(run: Harness) -> None:
    listener = run.listener(hold=True)
    ctp = run([listener.address])
    down = ctp.wait_for("disconnected")
    assert down.reason_code == NO_FRONT_ANSWER
    assert f"{listener.address}: accepts TCP connections but sent CTP nothing" in down.message
    assert listener.accepted >= 1


def test_every_md_front_is_registered(run: Harness) -> None:
    # CTP moves on from the refused front to the one that answers (and drops).
    listener = run.listener()
    ctp = run([f"tcp://127.0.0.1:{closed_port()}", listener.address])
    assert ctp.wait_for("disconnected").reason_code == 4097
    assert listener.accepted >= 1


def test_watchdog_names_every_silent_front(run: Harness) -> None:
    ports = [closed_port(), closed_port()]
    ctp = run([f"tcp://127.0.0.1:{port}" for port in ports])
    down = ctp.wait_for("disconnected", NO_FRONT_ANSWER)
    for port in ports:
        assert f"tcp://127.0.0.1:{port}: connection refused" in down.message


def test_a_td_front_gets_its_own_connection_and_flow_dir(run: Harness, tmp_path: Path) -> None:
    md, td = run.listener(), run.listener()
    ctp = run([md.address], td_front=td.address)
    assert ctp.wait_for("disconnected").reason_code == 4097  # the md side decides the state
    deadline = time.monotonic() + WAIT_S
    while td.accepted == 0 and time.monotonic() < deadline:
        time.sleep(0.05)  # polling a counter with no event to wait on
    assert td.accepted >= 1
    assert (tmp_path / ".vntrader" / "ctp" / "td" / "DialogRsp.con").exists()


def test_close_is_bounded_idempotent_and_reported(run: Harness) -> None:
    listener = run.listener()
    ctp = run([listener.address])
    ctp.wait_for("disconnected", 4097)
    assert ctp.close() < CLOSE_S
    closed = ctp.wait_for("disconnected", None)
    while closed.message != "closed":
        closed = ctp.wait_for("disconnected", None)
    assert closed.reason_code is None
    ctp.gateway.close()  # a second close does nothing (vnpy's would release twice)
    # After close nothing connects any more: the listener's count stops growing.
    count = listener.accepted
    time.sleep(2.5)  # CTP retries every second; this is the window it would need
    assert listener.accepted == count
