"""A ctp worker gets the locale and the library its account asks for, or does not
start: one line saying why, never a C++ abort in the middle of a login.

The first test keeps the finding behind all this true: vnpy_ctp with no
zh_CN.GB18030 aborts the whole process at the first reply from a front.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tickhub_contracts import codec
from tickhub_contracts.messages import CtpSettings, GatewayStatus, SourceConfig
from tickhub_gateway.localctp import standin
from tickhub_gateway.manager import GatewayManager
from tickhub_gateway.sources.ctp import environment as ctp_environment
from tickhub_gateway.sources.ctp.environment import CtpEnvironmentError
from tickhub_runtime.settings import Settings

from ...conftest import START_TIMEOUT, inbox

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not standin.built(), reason="the stand-in CTP library is not built"),
]

NO_SYSTEM_LOCALE = pytest.mark.skipif(
    ctp_environment.locale_loads(), reason="this system has zh_CN.GB18030 installed"
)


def ctp(md_library: str = "local", port: int = 1) -> SourceConfig:
    return SourceConfig(
        name="ctp-a",
        gateway_type="ctp",
        canary="rb2605.SHFE",
        ctp=CtpSettings(
            userid="rehearsal",
            password="rehearsal",
            broker_id="9999",
            md_fronts=[f"tcp://127.0.0.1:{port}"],
            md_library=md_library,  # type: ignore[arg-type]
        ),
    )


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LOCPATH", "LD_LIBRARY_PATH")}
    env = {k: v for k, v in env.items() if not k.startswith("TICKHUB_")}
    return {**env, **extra}


class GreetingFront:
    """Just enough of a local front to reach the first reply with text: HELLO, then a
    successful login answer (vnpy_ctp converts its empty ErrorMsg all the same)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = int(self.sock.getsockname()[1])

    def serve_one(self, timeout: float) -> None:
        self.sock.settimeout(timeout)
        conn, _ = self.sock.accept()
        conn.settimeout(timeout)
        conn.sendall(b"HELLO\tprotocol=1\tfront=tickhub-ctp-front\theartbeat_s=1\ttimeout_s=5\n")
        data = b""
        while b"LOGIN" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        conn.sendall(
            b"RSP_LOGIN\trequest_id=1\tErrorID=0\tErrorMsg=\tTradingDay=20261204\t"
            b"BrokerID=9999\tUserID=rehearsal\n"
        )
        conn.settimeout(timeout)
        with contextlib.suppress(OSError):  # the client aborts: the line breaks
            conn.recv(4096)
        conn.close()

    def close(self) -> None:
        self.sock.close()


@NO_SYSTEM_LOCALE
def test_without_the_locale_vnpy_ctp_aborts_at_the_first_reply(tmp_path: Path) -> None:
    front = GreetingFront()
    script = textwrap.dedent(
        f"""
        import time
        from vnpy_ctp.api import MdApi

        class Api(MdApi):
            def onFrontConnected(self):
                self.reqUserLogin({{"UserID": "rehearsal", "BrokerID": "9999"}}, 1)
            def onRspUserLogin(self, data, error, reqid, last):
                print("login reply reached Python", flush=True)

        api = Api()
        api.createFtdcMdApi("{tmp_path}/", False)
        api.registerFront("tcp://127.0.0.1:{front.port}")
        api.init()
        time.sleep(10)
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        env=clean_env(LD_LIBRARY_PATH=str(standin.library_dir())),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        front.serve_one(20)
        out, err = process.communicate(timeout=30)
    finally:
        front.close()
        if process.poll() is None:
            process.kill()
            process.wait(10)
    assert process.returncode == -6, (process.returncode, out, err)  # SIGABRT
    assert "login reply reached Python" not in out
    assert "_S_create_c_locale name not valid" in err, err


def run_worker(config: SourceConfig, cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, "-m", "tickhub_gateway.worker"],
        input=codec.encode(config),
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return result.returncode, result.stderr.decode(errors="replace")


@NO_SYSTEM_LOCALE
def test_a_worker_without_the_locale_refuses_to_start_in_one_line(tmp_path: Path) -> None:
    code, err = run_worker(ctp(), tmp_path, clean_env(LD_LIBRARY_PATH=str(standin.library_dir())))
    assert code == 2, err
    assert err.strip().count("\n") == 0 and "Traceback" not in err, err
    assert "zh_CN.GB18030" in err and "apt-get install locales" in err, err


def test_a_broker_account_refuses_the_stand_in_library(
    tmp_path: Path, ctp_locale_dir: Path
) -> None:
    env = clean_env(LD_LIBRARY_PATH=str(standin.library_dir()), LOCPATH=str(ctp_locale_dir))
    code, err = run_worker(ctp("ctp"), tmp_path, env)
    assert code == 2, err
    assert "md_library 'ctp' but tickhub's stand-in library loaded" in err, err


def test_a_local_account_refuses_ctps_own_library(tmp_path: Path, ctp_locale_dir: Path) -> None:
    code, err = run_worker(ctp("local"), tmp_path, clean_env(LOCPATH=str(ctp_locale_dir)))
    assert code == 2, err
    assert "md_library 'local' but CTP's own library loaded" in err, err


def test_a_local_account_refuses_ctps_own_trading_library(
    tmp_path: Path, ctp_locale_dir: Path
) -> None:
    # A directory with the market-data stand-in only: vnpy_ctp's trading extension
    # then loads CTP's own trading library beside it.
    only_md = tmp_path / "only-md"
    only_md.mkdir()
    (only_md / standin.LIBRARY_FILE).symlink_to(standin.library_path())
    env = clean_env(LD_LIBRARY_PATH=str(only_md), LOCPATH=str(ctp_locale_dir))
    code, err = run_worker(ctp("local"), tmp_path, env)
    assert code == 2, err
    assert "md_library 'local' but CTP's own trading library loaded" in err, err


def test_a_local_worker_names_both_stand_ins(tmp_path: Path, ctp_locale_dir: Path) -> None:
    script = textwrap.dedent(
        """
        import vnpy_ctp.api
        from tickhub_contracts.messages import CtpSettings, SourceConfig
        from tickhub_gateway.sources.ctp.environment import check_worker

        config = SourceConfig(name="a", gateway_type="ctp", ctp=CtpSettings(md_library="local"))
        print(check_worker(config))
        """
    )
    env = clean_env(LD_LIBRARY_PATH=str(standin.library_dir()), LOCPATH=str(ctp_locale_dir))
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    md, td = done.stdout.strip().split("; td ")
    assert md.startswith("tickhub-local-ctp") and md.endswith(f"({standin.library_path()})")
    assert td.startswith("tickhub-local-ctp") and td.endswith(f"({standin.td_library_path()})")


async def test_the_manager_does_not_start_a_ctp_worker_it_cannot_give_the_locale(
    gw_settings: Settings, monkeypatch: pytest.MonkeyPatch, nc: object
) -> None:
    def cannot(directory: Path) -> Path:
        raise CtpEnvironmentError(
            "the zh_CN.GB18030 locale ... : install it (apt-get install locales)"
        )

    monkeypatch.setattr(ctp_environment, "locale_loads", lambda name="": False)
    monkeypatch.setattr(ctp_environment, "compile_locale", cannot)
    statuses = await inbox(nc, "tickhub.status.ctp-a", GatewayStatus)  # type: ignore[arg-type]
    manager = GatewayManager(gw_settings, nc)  # type: ignore[arg-type]
    await manager.start()
    try:
        await manager.apply([ctp()])
        status = await statuses.wait_for(lambda s: s.state == "exited", START_TIMEOUT)
        assert status.pid is None
        assert status.reason.startswith("could not start the worker: the zh_CN.GB18030 locale")
        assert "apt-get install locales" in status.reason
    finally:
        await asyncio.wait_for(manager.close(), 30)
