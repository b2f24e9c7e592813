"""The one time zone of the contracts: every Chinese futures exchange keeps
Asia/Shanghai time (UTC+8, no daylight saving), and every CTP time is in it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

CHINA_TZ = ZoneInfo("Asia/Shanghai")
