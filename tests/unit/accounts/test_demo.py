"""The demo pools run on a universe: the products of the demo contracts and the
canary's main-contract alias; the accounts have no contract lists of their own."""

from __future__ import annotations

from cryptography.fernet import Fernet

from tickhub_accounts.crypto import SecretBox
from tickhub_accounts.demo import ctp_demo_accounts, demo_accounts, demo_universe, product_entry
from tickhub_runtime.settings import Settings
from tickhub_universe.entries import parse_entry


def test_a_contract_becomes_its_product() -> None:
    assert product_entry("rb2605.SHFE") == "rb.SHFE"
    assert product_entry("SR605.CZCE") == "SR.CZCE"
    assert product_entry("IF2512.CFFEX") == "IF.CFFEX"
    assert product_entry("m2605-C-3000.DCE") is None


def test_the_demo_universe_is_the_products_and_the_canarys_alias() -> None:
    settings = Settings(_env_file=None)
    texts = demo_universe(settings)
    assert texts == ["rb.SHFE", "au.SHFE", "m.DCE", "SR.CZCE", "IF.CFFEX", "rb888.SHFE"]
    assert [parse_entry(text).kind for text in texts] == ["product"] * 5 + ["alias"]
    doubled = Settings(_env_file=None, sim_contracts=["rb2605.SHFE", "rb2610.SHFE"])
    assert demo_universe(doubled) == ["rb.SHFE", "rb888.SHFE"]


def test_the_demo_accounts_take_part_in_the_allocation() -> None:
    settings = Settings(_env_file=None)
    box = SecretBox([Fernet.generate_key().decode()])
    for account in [*demo_accounts(settings), *ctp_demo_accounts(settings, "pw", box)]:
        assert account.contracts == []
        assert account.canary == settings.canary
