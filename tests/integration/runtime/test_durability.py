"""The bundled nats-server syncs JetStream writes to disk: a KV key put before a
crash (SIGKILL) is there when the server comes back on the same store."""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import yaml

from tickhub_cli.natsserver import NatsServer, binary
from tickhub_contracts import buckets, codec
from tickhub_contracts.messages import ContractRoute
from tickhub_runtime import bus, kv
from tickhub_runtime.settings import Settings


def settings_for(server: NatsServer, tmp_path: Path) -> Settings:
    return Settings(nats_url=server.url, data_dir=tmp_path, _env_file=None)


def varz(server: NatsServer) -> dict[str, object]:
    assert server.monitor_url is not None
    with urllib.request.urlopen(f"{server.monitor_url}/varz", timeout=5) as response:
        data: dict[str, object] = json.load(response)
    return data


def test_the_server_runs_jetstream_from_its_config_file_with_every_write_synced(
    tmp_path: Path,
) -> None:
    with NatsServer(tmp_path / "nats", monitor=True) as server:
        text = server.config_file.read_text()
        assert "sync_interval: always" in text
        # The file is valid for the server itself, not only for this test.
        checked = subprocess.run(
            [binary(), "-t", "-c", str(server.config_file)], capture_output=True, timeout=30
        )
        assert checked.returncode == 0, checked.stderr
        jetstream = varz(server)["jetstream"]
        assert isinstance(jetstream, dict)
        config = jetstream["config"]
        assert config["sync_always"] is True
        # The store where it always was (<store_dir>/jetstream/jetstream), so an
        # upgraded hub keeps its buckets.
        assert Path(config["store_dir"]) == (tmp_path / "nats" / "jetstream" / "jetstream")
        assert server.port > 0 and server.host == "127.0.0.1"


async def test_a_routing_key_survives_a_killed_server(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats").start()
    try:
        settings = settings_for(server, tmp_path)
        nc = await bus.connect(settings, "writer", first_connect_s=10)
        route = ContractRoute(
            vt_symbol="rb2605.SHFE",
            source="sim-b",
            at=datetime.now(UTC),
            eligible=["sim-b", "sim-a"],
        )
        try:
            bucket = await kv.open_bucket(nc, buckets.ROUTING, create=True)
            await bucket.put(buckets.routing_key("rb2605.SHFE"), codec.encode(route))
        finally:
            await nc.close()
        # Straight after the acknowledgement: nothing had time to flush on its own.
        server.restart(kill=True)
        assert server.process is not None and server.process.poll() is None

        nc = await bus.connect(settings, "reader", first_connect_s=10)
        try:
            bucket = await kv.open_bucket(nc, buckets.ROUTING, create=False)
            entry = await bucket.get(buckets.routing_key("rb2605.SHFE"))
            assert entry.value is not None
            assert codec.decode(entry.value, ContractRoute) == route
        finally:
            await nc.close()
    finally:
        server.stop()


def test_compose_runs_its_nats_with_every_write_synced(tmp_path: Path) -> None:
    """compose.yaml's nats command and config, run by the bundled binary (no Docker
    here): the config is valid and the server it makes syncs every write."""
    compose = yaml.safe_load((Path(__file__).parents[3] / "compose.yaml").read_text())
    nats = compose["services"]["nats"]
    mount = next(c for c in nats["configs"] if c["source"] == "nats_config")
    config = tmp_path / "tickhub.conf"
    config.write_text(compose["configs"]["nats_config"]["content"])
    command = [str(config) if part == mount["target"] else part for part in nats["command"]]
    store = command[command.index("-sd") + 1]
    command[command.index("-sd") + 1] = str(tmp_path / "data")  # the volume, here
    command[command.index("-m") + 1] = "-1"
    ports = tmp_path / "ports"
    ports.mkdir()
    process = subprocess.Popen(
        [binary(), *command, "-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", str(ports)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        info: dict[str, list[str]] = {}
        while not info.get("monitoring"):
            assert process.poll() is None, "nats-server refused compose's command"
            assert time.monotonic() < deadline, "nats-server did not start"
            found = list(ports.glob("*.ports"))
            with contextlib.suppress(json.JSONDecodeError, IndexError):
                info = json.loads(found[0].read_text())
            time.sleep(0.05)
        with urllib.request.urlopen(f"{info['monitoring'][0]}/varz", timeout=5) as response:
            jetstream = json.load(response)["jetstream"]["config"]
        assert jetstream["sync_always"] is True
        assert jetstream["store_dir"] == str(tmp_path / "data" / "jetstream")
        assert store == "/data" and any(v.endswith(":/data") for v in nats["volumes"])
    finally:
        process.terminate()
        process.wait(10)
