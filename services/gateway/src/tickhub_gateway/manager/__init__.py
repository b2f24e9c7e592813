"""The manager: the gateway service's :class:`GatewayManager`, one worker process per
source, and what only it uses.

Its jobs (:mod:`.gateway_manager` puts them together): :mod:`.reconcile` (the pool made
the list it is given), :mod:`.workers` (each worker process's life), :mod:`.commands`,
:mod:`.cold` (cold failover mode), :mod:`.intake` (what it hears on NATS) and
:mod:`.status` (what it publishes), sharing :mod:`.state`. Pure rules, no I/O:
:mod:`.tracker`, :mod:`.plan`, :mod:`.assignment`. Its I/O helpers: :mod:`.process`
(starting and ending an OS process), :mod:`.manual_stops` (the manual-stops bucket) and
:mod:`.pool` (where the pool comes from: the account database or a static list).
"""

from .gateway_manager import GatewayManager

__all__ = ["GatewayManager"]
