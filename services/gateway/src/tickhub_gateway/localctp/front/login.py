"""Who may log in, and what CTP answers.

The error codes and texts are CTP's own, from the ``error.xml`` that ships with
the CTP API (also reproduced in many public CTP wrappers): ``INVALID_LOGIN`` = 3
"CTP:不合法的登录" (a wrong broker, user or password: the answer every CTP front
gives, without saying which), ``NOT_LOGIN_YET`` = 6 "CTP:还没有登录" (a request
before the login), and on the trading side ``AUTH_FAILED`` = 63 "CTP:客户端认证失败"
(a wrong AppID or AuthCode: vnpy_ctp then never authenticates again) and
``NOT_AUTHENT`` = 64 "CTP:客户端未认证" (a login before the authentication a front
requires). The hub keys on these numbers (``sources/ctp.py``), so a rehearsal must
send exactly them.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from ..protocol import RspUserLogin
from . import days

INVALID_LOGIN = 3
INVALID_LOGIN_TEXT = "CTP:不合法的登录"
NOT_LOGIN_YET = 6
NOT_LOGIN_YET_TEXT = "CTP:还没有登录"
AUTH_FAILED = 63
AUTH_FAILED_TEXT = "CTP:客户端认证失败"
NOT_AUTHENT = 64
NOT_AUTHENT_TEXT = "CTP:客户端未认证"
APP_TYPE_INVESTOR = "1"
"""CThostFtdcRspAuthenticateField's AppType: a client of the investor's own."""

SYSTEM_NAME = "tickhub-ctp-front"
"""SystemName of the login answer: a local front says what it is."""

Rejection = Literal["broker", "user", "password", "fault"]
"""Why a login was refused, for the front's own log only: the client hears
``INVALID_LOGIN`` whatever the reason, as from a real front."""


@dataclass(frozen=True)
class Credentials:
    broker_id: str
    user_id: str
    password: str = field(repr=False)

    def check(self, broker_id: str, user_id: str, password: str) -> Rejection | None:
        """None if these may log in, else which of them is wrong (the first)."""
        if broker_id != self.broker_id:
            return "broker"
        if user_id != self.user_id:
            return "user"
        # Constant time: the front is reachable by anyone who can reach its port.
        if not hmac.compare_digest(password.encode(), self.password.encode()):
            return "password"
        return None


@dataclass(frozen=True)
class ClientAuth:
    """What a trading login's client authentication must give (None: anything)."""

    app_id: str | None = None
    auth_code: str | None = field(default=None, repr=False)

    @property
    def required(self) -> bool:
        """Whether a trading login must be preceded by a successful authentication."""
        return self.auth_code is not None

    def check(self, app_id: str, auth_code: str) -> Literal["app id", "auth code"] | None:
        """None if these authenticate, else which of them is wrong."""
        if self.app_id is not None and app_id != self.app_id:
            return "app id"
        if self.auth_code is not None and not hmac.compare_digest(
            auth_code.encode(), self.auth_code.encode()
        ):
            return "auth code"
        return None


def login_answer(
    now: datetime,
    broker_id: str,
    user_id: str,
    front_id: int,
    session_id: int,
    trading_day: date | None = None,
) -> RspUserLogin:
    """A successful login's ``CThostFtdcRspUserLoginField``: the trading day (the
    front's, else the clock's) and every exchange's clock (all the same here: one
    machine, China time)."""
    clock = days.update_time(now)
    return RspUserLogin(
        TradingDay=days.ctp_date(trading_day or days.trading_day(now)),
        LoginTime=clock,
        BrokerID=broker_id,
        UserID=user_id,
        SystemName=SYSTEM_NAME,
        FrontID=front_id,
        SessionID=session_id,
        MaxOrderRef="1",
        SHFETime=clock,
        DCETime=clock,
        CZCETime=clock,
        FFEXTime=clock,
        INETime=clock,
        GFEXTime=clock,
    )
