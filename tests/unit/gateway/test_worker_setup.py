import json
from datetime import date
from pathlib import Path

import pytest

from tickhub_contracts import codec
from tickhub_contracts.messages import CtpSettings, SourceConfig
from tickhub_gateway.manager.process import worker_dir, worker_env
from tickhub_gateway.protocol import PARENT_PID_ENV, read_config
from tickhub_runtime.settings import Settings


def test_a_good_config_is_read_from_stdin_bytes():
    config = SourceConfig(name="sim-a", gateway_type="sim", contracts=["rb2605.SHFE"])
    assert read_config(codec.encode(config)) == config


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "bad source config"),
        (b"{not json", "bad source config"),
        (b'{"name": "a"}', "bad source config"),
        (b'{"name": "a b", "gateway_type": "sim"}', "source name"),
        (b'{"name": "a", "gateway_type": "sim", "contracts": ["rb2605"]}', "SYMBOL.EXCHANGE"),
    ],
)
def test_a_bad_config_is_a_clear_error(data, message):
    with pytest.raises(ValueError, match=message):
        read_config(data)


def test_the_worker_env_carries_settings_but_no_secrets(monkeypatch, tmp_path: Path):
    secret_sources = json.dumps(
        [{"name": "c", "gateway_type": "ctp", "ctp": {"password": "hunter2"}}]
    )
    monkeypatch.setenv("TICKHUB_SOURCES", secret_sources)
    monkeypatch.setenv("TICKHUB_SOMETHING_ELSE", "x")
    settings = Settings(
        nats_url="nats://127.0.0.1:4999",
        data_dir=tmp_path / "rel",
        heartbeat_interval_s=0.5,
        _env_file=None,
    )
    assert settings.source_configs[0].ctp == CtpSettings(password="hunter2")
    env = worker_env(settings)
    assert "hunter2" not in json.dumps(env)
    assert "TICKHUB_SOURCES" not in env and "TICKHUB_SOMETHING_ELSE" not in env
    assert env["TICKHUB_NATS_URL"] == "nats://127.0.0.1:4999"
    assert env["TICKHUB_HEARTBEAT_INTERVAL_S"] == "0.5"
    assert env["TICKHUB_DATA_DIR"] == str((tmp_path / "rel").resolve())
    assert int(env[PARENT_PID_ENV]) > 1
    assert "PATH" in env
    # What the worker reads back is what the manager meant.
    for key in list(env):
        if key.startswith("TICKHUB_"):
            monkeypatch.setenv(key, env[key])
    monkeypatch.delenv("TICKHUB_SOURCES")
    echoed = Settings(_env_file=None)
    assert echoed.heartbeat_interval_s == 0.5
    assert echoed.resolved_nats_url == "nats://127.0.0.1:4999"
    assert worker_dir(settings, "sim-a") == (tmp_path / "rel").resolve() / "workers" / "sim-a"


def test_the_worker_gets_the_holidays_of_the_list_and_the_file(monkeypatch, tmp_path: Path):
    days = tmp_path / "holidays.txt"
    days.write_text("2026-10-01  # national day\n\n2026-10-02\n")
    settings = Settings(
        nats_url="nats://127.0.0.1:4999",
        data_dir=tmp_path,
        holidays=["2026-01-01"],
        holidays_file=days,
        _env_file=None,
    )
    env = worker_env(settings)
    assert "TICKHUB_HOLIDAYS_FILE" not in env  # a relative path means nothing in its dir
    monkeypatch.setenv("TICKHUB_HOLIDAYS", env["TICKHUB_HOLIDAYS"])
    echoed = Settings(_env_file=None)
    assert echoed.configured_holidays() == {
        date(2026, 1, 1),
        date(2026, 10, 1),
        date(2026, 10, 2),
    }
    # ... and the worker's all_holidays adds the built-in calendar's to them.
    assert echoed.all_holidays() >= echoed.configured_holidays() | {date(2026, 2, 16)}


def test_a_broken_holidays_file_still_starts_the_worker(tmp_path: Path):
    days = tmp_path / "holidays.txt"
    days.write_text("not a date\n")
    settings = Settings(holidays=["2026-01-01"], holidays_file=days, _env_file=None)
    assert json.loads(worker_env(settings)["TICKHUB_HOLIDAYS"]) == ["2026-01-01"]
