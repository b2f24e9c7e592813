"""Secret files: created once, private, the same value for every process."""

from __future__ import annotations

import multiprocessing
import secrets
import stat
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from tickhub_accounts.secretfiles import (
    SecretFileError,
    api_token,
    login_url,
    read_or_create,
    read_secret,
)
from tickhub_runtime.settings import Settings


def _race(path: str, barrier: Any, out: Any) -> None:
    barrier.wait()
    out.put(read_or_create(Path(path), lambda: secrets.token_hex(16)))


def test_processes_racing_to_create_agree_on_one_value(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "token"
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(6)
    out = context.Queue()
    workers = [context.Process(target=_race, args=(str(path), barrier, out)) for _ in range(6)]
    for worker in workers:
        worker.start()
    values = {out.get(timeout=60) for _ in workers}
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert values == {path.read_text().strip()}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["token"]  # no leftovers


def test_empty_or_missing_files_are_errors(tmp_path: Path) -> None:
    with pytest.raises(SecretFileError, match="does not exist"):
        read_secret(tmp_path / "none")
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(SecretFileError, match="is empty"):
        read_secret(tmp_path / "empty")


def test_api_token_precedence_and_strength(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)
    generated = api_token(settings)
    assert (tmp_path / "api-token").read_text().strip() == generated

    file = tmp_path / "mounted-token"
    file.write_text("from-a-file-0123456789\n")
    assert api_token(settings.model_copy(update={"api_token_file": file})) == (
        "from-a-file-0123456789"
    )
    explicit = settings.model_copy(
        update={"api_token": SecretStr("explicit-0123456789"), "api_token_file": file}
    )
    assert api_token(explicit) == "explicit-0123456789"

    for weak in ("short", "has blanks in it 0123456789"):
        with pytest.raises(SecretFileError, match="at least 16 characters without blanks"):
            api_token(settings.model_copy(update={"api_token": SecretStr(weak)}))


def test_login_url_carries_the_token_in_the_fragment(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_host="0.0.0.0", api_port=8123, _env_file=None)
    # The fragment never reaches a server log; a wildcard bind is reached on localhost.
    assert login_url(settings, "tok") == "http://127.0.0.1:8123/#token=tok"


def test_a_file_that_cannot_be_created_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(SecretFileError, match="cannot be created"):
        read_or_create(blocker / "token", lambda: "value")
