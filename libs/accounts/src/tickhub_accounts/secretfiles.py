"""Secret files of the local run: made once, readable only by their owner.

``tickhub up`` and the services it starts may all reach for the same file at the same
moment; :func:`read_or_create` makes sure they end up with one value, never two.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from tickhub_runtime.logs import get_logger
from tickhub_runtime.settings import Settings

log = get_logger(__name__)

API_TOKEN_FILE = "api-token"
MIN_TOKEN_LENGTH = 16


class SecretFileError(RuntimeError):
    """A secret is missing, empty or unusable; the message says which and how to fix it."""


def read_secret(path: Path) -> str:
    """The stripped content of a secret file; :class:`SecretFileError` if missing or empty."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise SecretFileError(f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SecretFileError(f"{path} cannot be read: {error}") from None
    if not text:
        raise SecretFileError(f"{path} is empty")
    if path.stat().st_mode & 0o077:
        log.warning("%s is readable by other users; chmod 600 it", path)
    return text


def read_or_create(path: Path, make: Callable[[], str]) -> str:
    """Read ``path``; if it does not exist, create it (mode 600) holding ``make()``.

    The new file is written aside and hard-linked into place, which fails when another
    process got there first: then its value wins and is returned here too.
    """
    if path.exists():
        return read_secret(path)
    aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(make() + "\n")
                file.flush()
                os.fsync(file.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(aside, path)
        finally:
            aside.unlink(missing_ok=True)
    except OSError as error:
        raise SecretFileError(f"{path} cannot be created: {error.strerror or error}") from None
    return read_secret(path)


def api_token(settings: Settings) -> str:
    """The bearer token of /api and /ws.

    ``TICKHUB_API_TOKEN``, else the file ``TICKHUB_API_TOKEN_FILE`` names (which must
    exist), else ``<data_dir>/api-token``, generated on first use.
    """
    if settings.api_token is not None:
        token = settings.api_token.get_secret_value().strip()
        what = "TICKHUB_API_TOKEN"
    elif settings.api_token_file is not None:
        token = read_secret(settings.api_token_file)
        what = str(settings.api_token_file)
    else:
        path = settings.data_dir / API_TOKEN_FILE
        token = read_or_create(path, lambda: secrets.token_urlsafe(32))
        what = str(path)
    if len(token) < MIN_TOKEN_LENGTH or any(c.isspace() for c in token):
        raise SecretFileError(
            f"{what}: the api token must be at least {MIN_TOKEN_LENGTH} characters without "
            "blanks (make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return token


def login_url(settings: Settings, token: str) -> str:
    """What ``tickhub up`` prints: the api with the token in the URL's fragment, which
    a browser keeps to itself (never sent to a server, so never in an access log);
    the dashboard reads it from there."""
    host = settings.api_host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.api_port}/#token={token}"


CTP_FRONT_PASSWORD_FILE = "ctp-front-password"


def ctp_front_password(settings: Settings) -> str:
    """The password of the demo's local CTP fronts (``tickhub up --demo ctp``):
    generated once into ``<data_dir>/ctp-front-password``, so a rehearsal pool on a
    shared machine is not open to anyone who knows a default."""
    # CTP's password field holds 40 characters; 24 URL-safe ones are plenty.
    return read_or_create(
        settings.data_dir / CTP_FRONT_PASSWORD_FILE, lambda: secrets.token_urlsafe(18)
    )
