"""What a ctp source's ``Connection.reason_code`` says: CTP's own codes and tickhub's.

CTP names a lost front by its ``OnFrontDisconnected`` reason and a refused login by
its ErrorID; where CTP stays silent, tickhub names what happened with codes of its own.
"""

from __future__ import annotations

from typing import Any

DISCONNECT_REASONS: dict[int, str] = {
    0x1001: "network read failed",
    0x1002: "network write failed",
    0x2001: "heartbeat receive timeout",
    0x2002: "heartbeat send failed",
    0x2003: "bad packet received",
}
"""CTP's ``OnFrontDisconnected`` reasons (ThostFtdcMdApi.h)."""

NO_FRONT_ANSWER = 0x3001
"""tickhub's code: no md front answered within ``connect_timeout_s`` (CTP is silent).
Reported as ``disconnected``: transient, a restart may well help."""
NO_LOGIN_ANSWER = 0x3002
"""tickhub's code: a front connected but did not answer the login in time. Reported
as ``login_failed`` (the login is what failed) but transient: nothing was rejected."""

# Connection.reason_code, as the health service reads it (it cannot import this module):
#
#   state "disconnected":  CTP's OnFrontDisconnected reason (DISCONNECT_REASONS, e.g.
#       0x1001 = 4097) or NO_FRONT_ANSWER (0x3001 = 12289). Transient: restart, retry.
#   state "login_failed":  CTP's login ErrorID from onRspUserLogin, e.g. 3 INVALID_LOGIN
#       (wrong user id or password, "CTP:不合法的登录"). Every ErrorID the front answers a
#       login with counts as REJECTED: a retry loop only brings the broker's lock-out
#       (a few failed logins) closer, so the operator must act; erring this way costs a
#       page, erring the other way a locked account. The one exception is
#       NO_LOGIN_ANSWER (0x3002 = 12290), tickhub's own "no answer to the login": transient.
#   The sim reports fail_login as login_failed with code 3, exactly like CTP.


def describe_disconnect(reason: int) -> str:
    """``4097`` -> ``'0x1001 network read failed'``."""
    words = DISCONNECT_REASONS.get(reason, "unknown reason")
    return f"0x{reason:04x} {words}"


def error_of(error: dict[str, Any] | None) -> tuple[int, str]:
    """(ErrorID, ErrorMsg) of a CTP error dict; CTP passes none (empty) for success."""
    if not error:
        return 0, ""
    return int(error.get("ErrorID", 0)), str(error.get("ErrorMsg", ""))
