"""Row -> SourceConfig: the seam the gateway's live pool uses."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from tickhub_accounts.crypto import SecretBox
from tickhub_accounts.models import MarketDataAccount
from tickhub_accounts.source_config import AccountConfigError, to_source_config
from tickhub_contracts import codec
from tickhub_contracts.messages import SourceConfig

BOX = SecretBox([Fernet.generate_key().decode()])


def _ctp_row(**overrides: object) -> MarketDataAccount:
    fields: dict[str, object] = {
        "id": 4,
        "name": "ctp-main",
        "gateway_type": "ctp",
        "priority": 1,
        "is_enabled": True,
        "canary": "rb2605.SHFE",
        "contracts": ["IF2512.CFFEX"],
        "settings": {
            "userid": "089123",
            "broker_id": "9999",
            "md_fronts": ["tcp://127.0.0.1:10211"],
            "environment": "test",
        },
        "password_encrypted": BOX.encrypt("pw-1"),
        "auth_code_encrypted": None,
    }
    fields.update(overrides)
    return MarketDataAccount(**fields)


def test_a_ctp_row_becomes_its_source_config_with_secrets() -> None:
    config = to_source_config(_ctp_row(), BOX)
    assert config.name == "ctp-main" and config.gateway_type == "ctp"
    assert config.ctp is not None and config.sim is None
    assert config.ctp.password == "pw-1" and config.ctp.auth_code == ""
    assert config.ctp.td_front == "" and config.ctp.connect_timeout_s == 10.0
    assert config.all_symbols() == ["IF2512.CFFEX", "rb2605.SHFE"]
    # It survives the trip to the worker (JSON on its stdin).
    assert codec.decode(codec.encode(config), SourceConfig) == config


def test_a_sim_row_gets_defaults() -> None:
    row = _ctp_row(gateway_type="sim", settings={"delay_ms": 5.0}, password_encrypted=None)
    config = to_source_config(row, BOX)
    assert config.sim is not None and config.ctp is None
    assert (config.sim.delay_ms, config.sim.ticks_per_second) == (5.0, 2.0)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"settings": {"userid": "x"}}, "invalid stored settings (broker_id, md_fronts)"),
        ({"gateway_type": "fix"}, "unknown gateway type 'fix'"),
        (
            {"password_encrypted": SecretBox([Fernet.generate_key().decode()]).encrypt("pw")},
            "does not decrypt",
        ),
    ],
)
def test_rows_that_cannot_run_name_the_account_never_a_value(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(AccountConfigError) as error:
        to_source_config(_ctp_row(**overrides), BOX)
    assert "account 4 'ctp-main'" in str(error.value)
    assert message in str(error.value)
    assert "pw" not in str(error.value).replace("password", "")


def test_a_local_front_account_carries_its_library_and_hours_to_the_worker() -> None:
    settings = {
        "userid": "rehearsal",
        "broker_id": "9999",
        "md_fronts": ["tcp://127.0.0.1:41205"],
        "md_library": "local",
        "trading_hours": "always",
    }
    config = to_source_config(_ctp_row(settings=settings), BOX)
    assert config.ctp is not None
    assert (config.ctp.md_library, config.ctp.trading_hours) == ("local", "always")


def test_a_broker_account_loads_the_brokers_library_by_default() -> None:
    config = to_source_config(_ctp_row(), BOX)
    assert config.ctp is not None
    assert (config.ctp.md_library, config.ctp.trading_hours) == ("ctp", "exchange")
