"""The CLI's way to the REST API: where it is, the token, one-line errors.

Where: ``--api-url``, else ``TICKHUB_API_URL``, else ``http://TICKHUB_API_HOST:
TICKHUB_API_PORT`` (what ``tickhub up`` serves; a wildcard host is reached on
127.0.0.1). The token, as the api itself finds it: ``TICKHUB_API_TOKEN``, else the
file ``TICKHUB_API_TOKEN_FILE``, else ``<data dir>/api-token`` (which ``tickhub up``
writes; the CLI never creates it). Every way a call can fail ends as a
:class:`~tickhub_cli.control.CommandError` whose message is the one line the
operator sees: the api down, the token refused, a refusal (404, 409, 422: the api's
own ``detail``), the api failing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from tickhub_accounts.secretfiles import API_TOKEN_FILE, SecretFileError, read_secret
from tickhub_runtime.settings import Settings

from .control import CommandError

URL_ENV = "TICKHUB_API_URL"
TIMEOUT_S = 30.0
"""How long a call may take (a refresh of the catalog waits longer: its own)."""


def api_url(settings: Settings, given: str | None = None) -> str:
    """The api's base URL, without a trailing slash."""
    url = given or os.environ.get(URL_ENV, "").strip()
    if not url:
        host = settings.api_host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        url = f"http://{host}:{settings.api_port}"
    if not url.startswith(("http://", "https://")):
        raise CommandError(f"the api URL must start with http:// or https://, not {url!r}")
    return url.rstrip("/")


def api_token(settings: Settings) -> str:
    """The bearer token, found as the api finds it, never created."""
    if settings.api_token is not None:
        token = settings.api_token.get_secret_value().strip()
        if token:
            return token
    path: Path = settings.api_token_file or settings.data_dir / API_TOKEN_FILE
    try:
        return read_secret(path)
    except SecretFileError as error:
        raise CommandError(
            f"no api token: {error} (set TICKHUB_API_TOKEN or TICKHUB_API_TOKEN_FILE, or "
            "run where `tickhub up` keeps its data dir, TICKHUB_DATA_DIR)"
        ) from None


def problem_line(response: httpx.Response) -> str:
    """The api's Problem ``detail`` (one line), or the status and a bit of the body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str) and detail:
        return " ".join(detail.split())
    text = " ".join(response.text.split())[:200]
    return f"{response.status_code} {response.reason_phrase}" + (f": {text}" if text else "")


class ApiClient:
    """A synchronous client of the api, for one command."""

    def __init__(
        self,
        settings: Settings,
        url: str | None = None,
        *,
        timeout_s: float = TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = api_url(settings, url)
        self._client = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {api_token(settings)}"},
            timeout=timeout_s,
            transport=transport,
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        timeout_s: float | None = None,
    ) -> Any:
        """The response's JSON (None for 204); :class:`CommandError` for anything but
        a 2xx."""
        extra: dict[str, Any] = {} if timeout_s is None else {"timeout": timeout_s}
        try:
            response = self._client.request(
                method,
                path,
                json=json,
                params={k: v for k, v in (params or {}).items() if v is not None},
                **extra,
            )
        except httpx.TimeoutException:
            raise CommandError(
                f"the api at {self.url} did not answer {method} {path} in time"
            ) from None
        except httpx.HTTPError as error:
            reason = str(error) or type(error).__name__
            raise CommandError(
                f"cannot reach the api at {self.url} ({reason}; is `tickhub up` or `tickhub api` "
                "running? --api-url or TICKHUB_API_URL names another)"
            ) from None
        if response.status_code == 401:
            raise CommandError(
                f"the api at {self.url} refused the token (401): set TICKHUB_API_TOKEN or "
                "TICKHUB_API_TOKEN_FILE to the api's token"
            )
        if response.is_error:
            raise CommandError(problem_line(response))
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise CommandError(f"the api at {self.url} answered {path} with no JSON") from None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)
