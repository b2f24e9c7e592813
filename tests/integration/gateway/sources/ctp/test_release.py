"""Closing a CTP gateway must not deadlock, even with a callback in flight.

vnpy_ctp's ``exit()`` joins its task thread while pybind11 holds the GIL; a
callback queued at that moment waits for the GIL forever (reproduced in 7 of 10
closes right after a front disconnect). A deadlocked interpreter cannot time itself
out, so the scenario runs in a child process that the test bounds and kills.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from vnpy.event import EventEngine

from tickhub_contracts.messages import CtpSettings, SourceConfig
from tickhub_gateway.sources.ctp import release as ctp_release
from tickhub_gateway.sources.ctp.gateway import CtpSourceGateway

pytestmark = pytest.mark.integration

CLOSES = 8
CHILD_TIMEOUT_S = 90.0

# Each round: a front that drops every connection (CTP queues a disconnect callback
# ~1 ms after each drop), the main thread busy in Python right then, so the callback
# is waiting for the GIL when close() runs.
SCRIPT = textwrap.dedent(
    """
    import socket, sys, threading, time
    from pathlib import Path
    Path(".vntrader").mkdir(exist_ok=True)
    from vnpy.event import EventEngine
    from tickhub_contracts.messages import CtpSettings, SourceConfig
    from tickhub_gateway.sources.ctp.gateway import CtpSourceGateway

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = [0]

    def serve():
        while True:
            conn, _ = server.accept()
            accepted[0] += 1
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    address = "tcp://127.0.0.1:%d" % server.getsockname()[1]
    for round_ in range(int(sys.argv[1])):
        config = SourceConfig(
            name="ctp-%d" % round_,
            gateway_type="ctp",
            ctp=CtpSettings(md_fronts=[address], td_front=address, connect_timeout_s=30),
        )
        gateway = CtpSourceGateway(EventEngine(), config)
        seen = accepted[0]
        gateway.start()
        while accepted[0] < seen + 3:
            pass
        spin = time.monotonic()
        while time.monotonic() - spin < 0.001:
            pass
        began = time.monotonic()
        gateway.close()
        print("closed", round_, round(time.monotonic() - began, 3), flush=True)
    """
)


def test_close_right_after_a_callback_is_queued_never_deadlocks(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKHUB_")}
    try:
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(CLOSES)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as error:
        out = error.stdout.decode() if isinstance(error.stdout, bytes) else error.stdout
        pytest.fail(f"close() deadlocked; got only: {out!r}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("closed")]
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(lines) == CLOSES
    for line in lines:
        assert float(line.split()[2]) < 2.0, line


@pytest.mark.parametrize(("module", "cls"), [("vnctpmd", "MdApi"), ("vnctptd", "TdApi")])
def test_the_gil_free_exit_is_found_in_this_vnpy_ctp_build(module: str, cls: str) -> None:
    # If a vnpy_ctp upgrade moves it, close() silently falls back to the deadlocking
    # exit(): this says so first.
    import vnpy_ctp.api  # noqa: F401  # loads both extension modules

    assert ctp_release._exit_function(f"vnpy_ctp.api.{module}", cls) is not None


def test_release_refuses_an_object_that_is_not_a_ctp_api() -> None:
    assert ctp_release.release(object()) is False


def test_a_gateway_never_started_closes_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = SourceConfig(
        name="ctp-a", gateway_type="ctp", ctp=CtpSettings(md_fronts=["tcp://127.0.0.1:1"])
    )
    gateway = CtpSourceGateway(EventEngine(), config)
    gateway.close()  # no init(), so no task thread to join: nothing may be called
    gateway.close()
    assert not (tmp_path / ".vntrader").exists()
