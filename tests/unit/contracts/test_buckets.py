"""KV bucket keys: a contract's routing key and back, a source's manual-stop key."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickhub_contracts import buckets, subjects

TOKEN = st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z")
# What a JetStream KV key may hold (nats-py's own check).
KV_KEY = re.compile(r"^[-/_=.a-zA-Z0-9]+$")


@given(symbol=TOKEN, exchange=TOKEN)
def test_a_routing_key_round_trips(symbol: str, exchange: str) -> None:
    vt_symbol = f"{symbol}.{exchange}"
    key = buckets.routing_key(vt_symbol)
    assert key == f"{exchange}.{symbol}" and KV_KEY.match(key)
    assert buckets.routing_vt_symbol(key) == vt_symbol


@pytest.mark.parametrize("key", ["SHFE", "SHFE.", ".rb2605", "SHFE.rb 2605", "SHFE.rb.2605"])
def test_a_malformed_routing_key_is_refused(key: str) -> None:
    with pytest.raises(subjects.InvalidToken):
        buckets.routing_vt_symbol(key)


def test_a_manual_stop_key_is_the_source_name() -> None:
    assert buckets.manual_stop_key("ctp-main") == "ctp-main"
    with pytest.raises(subjects.InvalidToken):
        buckets.manual_stop_key("a.b")


def test_bucket_names_are_valid() -> None:
    for name in (buckets.ROUTING, buckets.MANUAL_STOPS):
        assert re.match(r"^[a-zA-Z0-9_-]+$", name)
