"""Secrets at rest: Fernet, with rotation and clear errors."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from tickhub_accounts.crypto import SecretBox, SecretKeyError, load_secret_box, parse_keys
from tickhub_runtime.settings import Settings

KEY = Fernet.generate_key().decode()
OTHER = Fernet.generate_key().decode()


@given(st.text())
def test_round_trip_of_any_text(secret: str) -> None:
    box = SecretBox([KEY])
    token = box.encrypt(secret)
    assert box.decrypt(token) == secret
    if len(secret) >= 4:
        assert secret not in token


def test_encryption_is_randomised() -> None:
    box = SecretBox([KEY])
    assert box.encrypt("pw") != box.encrypt("pw")


def test_a_wrong_key_or_a_tampered_token_does_not_decrypt() -> None:
    token = SecretBox([KEY]).encrypt("pw")
    with pytest.raises(SecretKeyError, match="does not decrypt"):
        SecretBox([OTHER]).decrypt(token)
    tampered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    with pytest.raises(SecretKeyError):
        SecretBox([KEY]).decrypt(tampered)


def test_rotation_new_key_first_old_still_decrypts() -> None:
    old_token = SecretBox([OTHER]).encrypt("pw")
    rotated = SecretBox(parse_keys(f"{KEY}, {OTHER}"))
    assert rotated.decrypt(old_token) == "pw"
    assert SecretBox([KEY]).decrypt(rotated.encrypt("pw")) == "pw"


def test_a_bad_key_says_how_to_make_one() -> None:
    with pytest.raises(SecretKeyError, match=r"key #2 is not a Fernet key.*generate_key"):
        SecretBox([KEY, "not-a-key"])
    with pytest.raises(SecretKeyError):
        SecretBox([])


def test_repr_hides_the_keys() -> None:
    assert KEY not in repr(SecretBox([KEY]))


def test_key_from_setting_then_file_then_generated(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    generated = load_secret_box(settings)
    path = tmp_path / "data" / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = generated.encrypt("pw")
    assert load_secret_box(settings).decrypt(token) == "pw"  # the same key, read back

    key_file = tmp_path / "mounted.key"
    key_file.write_text(OTHER + "\n")
    from_file = load_secret_box(settings.model_copy(update={"secret_key_file": key_file}))
    assert SecretBox([OTHER]).decrypt(from_file.encrypt("x")) == "x"

    from_env = load_secret_box(
        settings.model_copy(
            update={"secret_key": SecretStr(KEY), "secret_key_file": tmp_path / "missing"}
        )
    )
    assert SecretBox([KEY]).decrypt(from_env.encrypt("x")) == "x"


def test_a_named_key_file_must_exist(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key_file=tmp_path / "missing.key", _env_file=None)
    with pytest.raises(SecretKeyError, match=r"missing\.key does not exist"):
        load_secret_box(settings)
    assert not (tmp_path / "missing.key").exists()
