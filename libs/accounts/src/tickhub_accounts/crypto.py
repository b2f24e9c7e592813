"""Account secrets (ctp password, auth code) encrypted at rest.

Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``): a token that was
altered or made with another key does not decrypt at all. Several keys may be given,
comma-separated, to rotate: the first encrypts, every one decrypts.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from tickhub_runtime.settings import Settings

from .secretfiles import SecretFileError, read_or_create, read_secret

SECRET_KEY_FILE = "secret.key"
MAKE_KEY = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


class SecretKeyError(RuntimeError):
    """No usable key, or a stored secret that the keys at hand cannot decrypt."""


class SecretBox:
    """Encrypts and decrypts account secrets with the hub's key(s)."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise SecretKeyError("no secret key given")
        fernets = []
        for number, key in enumerate(keys, 1):
            try:
                fernets.append(Fernet(key.encode()))
            except ValueError:
                raise SecretKeyError(
                    f"secret key #{number} is not a Fernet key (32 url-safe base64-encoded "
                    f"bytes); make one with: {MAKE_KEY}"
                ) from None
        self._fernet = MultiFernet(fernets)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except (InvalidToken, UnicodeError):
            raise SecretKeyError(
                "a stored secret does not decrypt with the secret key(s) at hand: was "
                "TICKHUB_SECRET_KEY changed or the key file replaced?"
            ) from None

    def __repr__(self) -> str:
        return "SecretBox(<keys hidden>)"


def parse_keys(text: str) -> list[str]:
    return [key for key in (part.strip() for part in text.replace("\n", ",").split(",")) if key]


def load_secret_box(settings: Settings) -> SecretBox:
    """The hub's SecretBox: ``TICKHUB_SECRET_KEY``, else the file
    ``TICKHUB_SECRET_KEY_FILE`` names (which must exist), else ``<data_dir>/secret.key``,
    generated on first use (the local run)."""
    try:
        if settings.secret_key is not None:
            text = settings.secret_key.get_secret_value()
        elif settings.secret_key_file is not None:
            text = read_secret(settings.secret_key_file)
        else:
            text = read_or_create(
                settings.data_dir / SECRET_KEY_FILE, lambda: Fernet.generate_key().decode()
            )
    except SecretFileError as error:
        raise SecretKeyError(f"secret key: {error}") from None
    return SecretBox(parse_keys(text))
