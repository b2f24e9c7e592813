"""What a ctp worker is given before it starts: the locale and the library path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tickhub_contracts.messages import CtpSettings, SourceConfig
from tickhub_gateway.sources.ctp import environment as ctp_environment
from tickhub_gateway.sources.ctp.environment import CtpEnvironmentError


def ctp(md_library: str = "ctp") -> SourceConfig:
    return SourceConfig(
        name="ctp-a",
        gateway_type="ctp",
        ctp=CtpSettings(md_fronts=["tcp://127.0.0.1:1"], md_library=md_library),  # type: ignore[arg-type]
    )


@pytest.fixture
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "standin"
    directory.mkdir()
    (directory / ctp_environment.MD_LIBRARY_FILE).write_bytes(b"")
    (directory / ctp_environment.TD_LIBRARY_FILE).write_bytes(b"")
    monkeypatch.setattr(ctp_environment, "standin_dir", lambda: directory)
    return directory


def test_a_local_account_finds_the_stand_in_first(standin: Path) -> None:
    env = ctp_environment.library_env(ctp("local"), {"LD_LIBRARY_PATH": "/opt/a:/opt/b"})
    assert env == {"LD_LIBRARY_PATH": f"{standin}:/opt/a:/opt/b"}


def test_a_broker_account_never_finds_the_stand_in(standin: Path) -> None:
    inherited = {"LD_LIBRARY_PATH": f"/opt/a:{standin}:{standin}/:/opt/b"}
    assert ctp_environment.library_env(ctp("ctp"), inherited) == {
        "LD_LIBRARY_PATH": "/opt/a:/opt/b"
    }
    assert ctp_environment.library_env(ctp("ctp"), {}) == {"LD_LIBRARY_PATH": ""}


@pytest.mark.parametrize(
    "missing", [ctp_environment.MD_LIBRARY_FILE, ctp_environment.TD_LIBRARY_FILE]
)
def test_a_local_account_without_a_built_library_is_not_started(
    standin: Path, missing: str
) -> None:
    (standin / missing).unlink()
    with pytest.raises(CtpEnvironmentError, match=rf"not built \(no .*{missing}\): run make setup"):
        ctp_environment.library_env(ctp("local"), {})


def test_no_locale_variables_where_the_system_has_the_locale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ctp_environment, "locale_loads", lambda name="": True)
    assert ctp_environment.locale_env(tmp_path / "locale") == {}
    assert not (tmp_path / "locale").exists()


def test_without_localedef_the_reason_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(CtpEnvironmentError) as caught:
        ctp_environment.compile_locale(tmp_path)
    message = str(caught.value)
    assert "zh_CN.GB18030" in message and "apt-get install locales" in message
    assert "\n" not in message


def test_a_failed_localedef_is_one_line_with_its_own_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "localedef"
    fake.write_text("#!/bin/sh\necho 'cannot open charmap file GB18030' >&2\nexit 4\n")
    fake.chmod(0o755)
    monkeypatch.setattr(shutil, "which", lambda name: str(fake))
    with pytest.raises(CtpEnvironmentError, match="cannot open charmap file GB18030"):
        ctp_environment.compile_locale(tmp_path / "locale")
    assert list((tmp_path / "locale").iterdir()) == []  # no half-built locale left


@pytest.mark.skipif(shutil.which("localedef") is None, reason="no localedef on this machine")
def test_the_compiled_locale_loads_through_locpath_once_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "locale"
    try:
        built = ctp_environment.compile_locale(directory)
    except CtpEnvironmentError as error:
        pytest.skip(f"this machine cannot build the locale: {error}")
    assert (built / "LC_CTYPE").is_file()
    # Built once: the next worker reuses it without running localedef.
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert ctp_environment.compile_locale(directory) == built
    probe = "from tickhub_gateway.sources.ctp import environment as c; print(c.locale_loads())"
    env = {k: v for k, v in os.environ.items() if k != "LOCPATH"}
    loads = subprocess.run(
        [sys.executable, "-c", probe],
        env={**env, "LOCPATH": str(directory)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert loads.stdout.strip() == "True"
