"""The bearer check and the body gate, as pure functions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickhub_api.guard import _is_json, _protected, challenge, token_equals, token_matches

TOKEN = b"0123456789abcdef-token"


def test_the_token_matches_with_any_scheme_case() -> None:
    for scheme in ("Bearer", "bearer", "BEARER"):
        assert token_matches(f"{scheme} {TOKEN.decode()}", TOKEN)


@given(st.text())
def test_nothing_else_matches(given_token: str) -> None:
    if given_token.strip() != TOKEN.decode():
        assert not token_matches(f"Bearer {given_token}", TOKEN)
    assert not token_matches(given_token, TOKEN) or given_token.startswith(("Bearer", "bearer"))


@pytest.mark.parametrize("header", [None, "", "Bearer", f"Basic {TOKEN.decode()}", TOKEN.decode()])
def test_missing_or_other_schemes_do_not_match(header: str | None) -> None:
    assert not token_matches(header, TOKEN)


def test_challenge_says_invalid_only_for_a_given_token() -> None:
    assert challenge(False) == 'Bearer realm="tickhub"'
    assert challenge(True) == 'Bearer realm="tickhub", error="invalid_token"'


@pytest.mark.parametrize(
    ("path", "protected"),
    [
        ("/api", True),
        ("/api/accounts", True),
        ("/ws", True),
        ("/ws/ticks", True),
        ("/apix", False),
        ("/health", False),
        ("/docs", False),
        ("/", False),
    ],
)
def test_protected_paths(path: str, protected: bool) -> None:
    assert _protected(path) == protected


@pytest.mark.parametrize(
    ("content_type", "json"),
    [
        (None, True),
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("application/merge-patch+json", True),
        ("text/plain", False),
        ("application/x-www-form-urlencoded", False),
        ("multipart/form-data; boundary=x", False),
    ],
)
def test_json_media_types(content_type: str | None, json: bool) -> None:
    assert _is_json(content_type) == json


def test_a_bare_token_is_compared_as_the_header_is() -> None:
    assert token_equals(TOKEN.decode(), TOKEN)
    assert token_equals(f" {TOKEN.decode()} ", TOKEN)
    assert not token_equals(TOKEN.decode()[:-1], TOKEN)
    assert not token_equals("", TOKEN)
