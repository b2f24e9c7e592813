"""Request bodies the api tests send (any field may be given any value, wrong ones too)."""

from __future__ import annotations

from typing import Any

PASSWORD = "Pw-7c1e9a4f-do-not-leak"
AUTH_CODE = "AC7c1e9a4fNOLEAK"


def sim(name: Any = "sim-x", priority: Any = 5, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "gateway_type": "sim",
        "priority": priority,
        "canary": "rb2605.SHFE",
        "contracts": ["rb2605.SHFE", "m2605.DCE"],
        "sim": {"delay_ms": 10.0, "seed": 7},
    }
    body.update(extra)
    return body


def ctp(name: Any = "ctp-main", priority: Any = 1, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "gateway_type": "ctp",
        "priority": priority,
        "canary": "rb2605.SHFE",
        "contracts": ["rb2605.SHFE", "IF2512.CFFEX"],
        "ctp": {
            "userid": "089123",
            "password": PASSWORD,
            "broker_id": "9999",
            "md_fronts": ["tcp://127.0.0.1:10211", "ssl://md.example.com:10212"],
            "td_front": "",
            "app_id": "simnow_client_test",
            "auth_code": AUTH_CODE,
            "product_info": "tickhub",
            "environment": "test",
        },
    }
    body.update(extra)
    return body
