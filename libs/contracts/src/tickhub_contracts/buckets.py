"""Every JetStream key-value bucket tickhub uses, and how its keys are spelled.

A bucket holds state that must outlive the process that wrote it (unlike a subject,
which only carries news). docs/subjects.md describes each bucket beside the subjects.
Keys are limited to what a KV key allows (letters, digits, ``-``, ``_``, ``=``, ``/``
and ``.``); the tokens tickhub puts in them already are (:func:`subjects.token`).
"""

from __future__ import annotations

from . import subjects

ROUTING = "tickhub_routing"
"""Contract -> the sources whose ticks go out now (:class:`~.messages.ContractRoute`).
Key :func:`routing_key`. Written by the failover service, watched by the publisher,
read by the api. Its writes are synced to disk by the server (``sync_interval:
always`` in the bundled server's config), so routing survives a server crash."""

HEALTH = "tickhub_health"
"""Source -> the health service's newest verdict (:class:`~.messages.SourceHealth`),
key = source name. Written by the health service; read at start by the failover
service, the api and a restarted health service."""

MANUAL_STOPS = "tickhub_manual_stops"
"""Sources an operator stopped (:class:`~.messages.ManualStop`), key = source name.
Written by the GatewayManager; the api deletes a key when it enables or deletes the
account."""

MAIN_CONTRACTS = "tickhub_main_contracts"
"""Product -> its main contract for the trading day (:class:`~.messages.MainContract`),
key :func:`product_key`. Written by the publisher serving the product's exchange, read
by the api and by a restarted publisher."""

DAY_CLOSES = "tickhub_day_closes"
"""Product -> its months' volume and open interest at the end of the last trading day
seen (:class:`~.messages.ProductCloses`), key :func:`product_key`. Written by the
publisher: what tomorrow's main contract is decided from survives its restart."""


def product_key(exchange: str, product: str) -> str:
    """``('SHFE', 'rb')`` -> ``'SHFE.rb'``."""
    return f"{subjects.token(exchange, 'exchange')}.{subjects.token(product, 'product')}"


def routing_key(vt_symbol: str) -> str:
    """``'rb2605.SHFE'`` -> ``'SHFE.rb2605'`` (exchange first, as in tick subjects)."""
    symbol, exchange = subjects.split_vt_symbol(vt_symbol)
    return f"{exchange}.{symbol}"


def routing_vt_symbol(key: str) -> str:
    """``'SHFE.rb2605'`` -> ``'rb2605.SHFE'``; raises InvalidToken when malformed."""
    exchange, sep, symbol = key.partition(".")
    if not sep:
        raise subjects.InvalidToken(f"routing key {key!r} must look like EXCHANGE.SYMBOL")
    return f"{subjects.token(symbol, 'symbol')}.{subjects.token(exchange, 'exchange')}"


def manual_stop_key(source: str) -> str:
    return subjects.token(source, "source name")


def health_key(source: str) -> str:
    return subjects.token(source, "source name")
