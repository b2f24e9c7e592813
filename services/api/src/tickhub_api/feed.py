"""The api's one link to the hub's news: a single set of NATS subscriptions and two
bucket mirrors, kept in the :class:`LiveBoard` and fanned out to every ``/ws`` client.

Each client has a bounded queue. Fanning out is ``put_nowait`` of one string encoded
once (:mod:`.wire`), so a client that does not keep up can neither slow the others
nor grow the api's memory: when its queue is full it is dropped (closed with 4408 by
:mod:`.ws`) and reconnects to a fresh snapshot.

The buckets are followed by :class:`tickhub_runtime.kv.Mirror`, which reads them
whole again after every reconnect and reports the differences as changes, so the
clients also hear of what changed while NATS was away.

News of the contract universe (a new catalog, changed entries, a new allocation, a
main contract decided) goes out as short notices the dashboard re-reads its pages
on, and bumps :attr:`Feed.universe_epoch` / :attr:`Feed.allocation_epoch`, which the
cache of ``GET /api/universe/resolved`` is keyed on.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any, TypeVar

from nats.aio.client import Client

from tickhub_contracts import buckets, codec, subjects
from tickhub_contracts.messages import (
    AccountChanged,
    CatalogRefreshed,
    ContractRoute,
    FailoverEvent,
    GatewayStatus,
    LogRecord,
    MainContract,
    PoolStatus,
    PublisherStats,
    RestartEvent,
    SourceHealth,
    UniverseChanged,
)
from tickhub_runtime import kv, listen
from tickhub_runtime.logs import get_logger
from tickhub_universe.entries import alias_product

from . import wire
from .live import LiveBoard

log = get_logger("tickhub.api.feed")

CLOSE_TOO_SLOW = 4408
CLOSE_GOING_AWAY = 1001
MAIN_CONTRACTS_RETRY_S = 5.0

M = TypeVar("M")


@dataclass(eq=False)
class Subscriber:
    """One ``/ws`` client as the feed sees it."""

    number: int
    peer: str
    queue: asyncio.Queue[str]
    dropped: asyncio.Event = field(default_factory=asyncio.Event)
    close_code: int | None = None
    """Why the feed let it go: 4408 (too slow) or 1001 (the api stops)."""


class Feed:
    def __init__(
        self,
        board: LiveBoard,
        *,
        queue_limit: int,
        pool_timeout_s: float = 2.0,
        publisher_stale_s: float = float("inf"),
    ) -> None:
        self.board = board
        self.queue_limit = queue_limit
        self.pool_timeout_s = pool_timeout_s
        self.publisher_stale_s = publisher_stale_s
        """After a silence this long the publisher's counts go out again, changed or not
        (the views had withheld them)."""
        self._subscribers: set[Subscriber] = set()
        self._numbers = itertools.count(1)
        self._listeners: list[listen.Listener[Any]] = []
        self._mirrors: list[
            kv.Mirror[ContractRoute] | kv.Mirror[SourceHealth] | kv.Mirror[MainContract]
        ] = []
        self._pending_routes: dict[str, ContractRoute | None] = {}
        self._route_sender: asyncio.Task[None] | None = None
        self.dropped_too_slow = 0
        """Clients dropped for falling behind since the start (tests, logs)."""
        self.universe_epoch = 0
        """Bumped by every announced change of the universe's entries or the catalog."""
        self.allocation_epoch = 0
        """Bumped by every announced change of the allocation or the accounts."""

    # --- clients ------------------------------------------------------------------------

    @property
    def subscribers(self) -> frozenset[Subscriber]:
        return frozenset(self._subscribers)

    def join(self, peer: str) -> Subscriber:
        subscriber = Subscriber(next(self._numbers), peer, asyncio.Queue(self.queue_limit))
        self._subscribers.add(subscriber)
        return subscriber

    def leave(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def _drop(self, subscriber: Subscriber, code: int) -> None:
        self._subscribers.discard(subscriber)
        subscriber.close_code = code
        subscriber.dropped.set()

    async def forward(self, text: str) -> None:
        """:meth:`publish`, then let the clients' senders run before the next message:
        nats-py hands a subscription its pending messages without yielding, and a
        burst must not fill the queues of clients that keep up."""
        self.publish(text)
        await asyncio.sleep(0)

    def publish(self, text: str) -> None:
        """Queue ``text`` for every client; one that has no room left is dropped."""
        for subscriber in list(self._subscribers):
            self.offer(subscriber, text)

    def offer(self, subscriber: Subscriber, text: str) -> None:
        """Queue ``text`` for one client, or drop it when it has no room left."""
        if subscriber.dropped.is_set():
            return
        try:
            subscriber.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.dropped_too_slow += 1
            self._drop(subscriber, CLOSE_TOO_SLOW)
            log.warning(
                "dropped /ws client %d (%s): more than %d messages behind",
                subscriber.number,
                subscriber.peer,
                self.queue_limit,
            )

    # --- the bus ------------------------------------------------------------------------

    async def attach(self, nc: Client) -> None:
        """Subscribe, follow the buckets, and ask the manager for every status at once
        (its statuses also come every few seconds, but a view should be whole now)."""
        # Appended one by one: close() ends those made before a failing one.
        add = self._listeners.append
        add(await self._listen(nc, subjects.STATUS_ALL, GatewayStatus, self._on_status))
        add(await self._listen(nc, subjects.HEALTH_ALL, SourceHealth, self._on_health))
        add(await self._listen(nc, subjects.FAILOVER_EVENT, FailoverEvent, self._on_failover))
        add(await self._listen(nc, subjects.RESTART_ALL, RestartEvent, self._on_restart))
        add(await self._listen(nc, subjects.LOG_ALL, LogRecord, self._on_log))
        add(await self._listen(nc, subjects.ACCOUNTS_CHANGED, AccountChanged, self._on_accounts))
        add(await self._listen(nc, subjects.PUBLISHER_STATS, PublisherStats, self._on_publisher))
        add(await self._listen(nc, subjects.CATALOG_CHANGED, CatalogRefreshed, self._on_catalog))
        add(await self._listen(nc, subjects.UNIVERSE_CHANGED, UniverseChanged, self._on_universe))
        add(
            await self._listen(
                nc, subjects.ALLOCATION_CHANGED, UniverseChanged, self._on_allocation
            )
        )
        add(await self._listen(nc, subjects.MAIN_CONTRACT_CHANGED, MainContract, self._on_main))
        routing = kv.Mirror(
            nc,
            buckets.ROUTING,
            lambda raw: codec.decode(raw, ContractRoute),
            on_change=self._on_route,
        )
        health = kv.Mirror(
            nc,
            buckets.HEALTH,
            lambda raw: codec.decode(raw, SourceHealth),
            on_change=self._on_health_entry,
        )
        mains = kv.Mirror(
            nc,
            buckets.MAIN_CONTRACTS,
            lambda raw: codec.decode(raw, MainContract),
            on_change=self._on_main_entry,
            # Written by the publisher once it decides a main contract: until then
            # (or without one) the mirror waits, quietly, for the bucket.
            retry_s=MAIN_CONTRACTS_RETRY_S,
        )
        self._mirrors = [routing, health, mains]
        for mirror in self._mirrors:
            mirror.start()
        await self._ask_pool(nc)

    async def close(self) -> None:
        for subscriber in list(self._subscribers):
            self._drop(subscriber, CLOSE_GOING_AWAY)
        for mirror in self._mirrors:
            await mirror.close()
        if self._route_sender is not None:
            self._route_sender.cancel()
            await asyncio.wait({self._route_sender})
        for listener in self._listeners:
            await listener.close()

    @staticmethod
    async def _listen(
        nc: Client, subject: str, type_: type[M], handler: listen.Handler[M]
    ) -> listen.Listener[M]:
        """A message that does not decode is dropped with a bounded WARNING line."""
        return await listen.subscribe(nc, subject, type_, handler, log=log)

    async def _ask_pool(self, nc: Client) -> None:
        try:
            reply = await nc.request(subjects.POOL, b"", timeout=self.pool_timeout_s)
            pool = codec.decode(reply.data, PoolStatus)
        except Exception as error:  # no manager yet: its statuses will come
            log.info("no pool snapshot (%s); waiting for status messages", type(error).__name__)
            return
        for status in pool.gateways:
            if self.board.take(status):
                await self.forward(wire.event("status", status))

    async def _on_status(self, subject: str, status: GatewayStatus) -> None:
        if subject != subjects.status(status.source):
            return
        if self.board.take(status):
            await self.forward(wire.event("status", status))

    async def _on_health(self, subject: str, verdict: SourceHealth) -> None:
        if subject != subjects.health(verdict.source):
            return
        if self.board.take_health(verdict):
            await self.forward(wire.event("health", verdict))

    async def _on_failover(self, subject: str, event: FailoverEvent) -> None:
        self.board.failovers.append(event)
        await self.forward(wire.event("failover", event))

    async def _on_restart(self, subject: str, event: RestartEvent) -> None:
        if subject != subjects.restart(event.source):
            return
        self.board.restarts.append(event)
        await self.forward(wire.event("restart", event))

    async def _on_log(self, subject: str, record: LogRecord) -> None:
        self.board.logs.append(record)
        await self.forward(wire.event("log", record))

    async def _on_accounts(self, subject: str, change: AccountChanged) -> None:
        self.allocation_epoch += 1
        await self.forward(wire.event("accounts", change))

    async def _on_catalog(self, subject: str, refreshed: CatalogRefreshed) -> None:
        self.universe_epoch += 1
        await self.forward(wire.event("catalog_changed", refreshed))

    async def _on_universe(self, subject: str, change: UniverseChanged) -> None:
        self.universe_epoch += 1
        await self.forward(wire.event("universe_changed", change))

    async def _on_allocation(self, subject: str, change: UniverseChanged) -> None:
        self.allocation_epoch += 1
        await self.forward(wire.event("allocation_changed", change))

    async def _on_main(self, subject: str, main: MainContract) -> None:
        if self.board.take_main(main):
            await self.forward(wire.event("main_contract_changed", main))

    async def _on_publisher(self, subject: str, stats: PublisherStats) -> None:
        # Held every time (GET /api/gateways shows drops_at); sent on only when the
        # counts changed: one message for every source, at most every
        # TICKHUB_PUBLISHER_STATS_S, none while nothing is dropped.
        if self.board.take_publisher(stats, self.publisher_stale_s):
            await self.forward(wire.event("publisher", stats))

    # --- bucket changes (the mirrors call these on the event loop) ----------------------

    def _on_route(self, key: str, route: ContractRoute | None) -> None:
        try:
            vt_symbol = buckets.routing_vt_symbol(key) if route is None else route.vt_symbol
        except ValueError:
            log.debug("ignored routing key %s", key)
            return
        if self.board.set_route(vt_symbol, route):
            # A resync reports every changed contract in one go (thousands, for a
            # whole market): they go out from a task that yields between them, the
            # newest per contract only.
            self._pending_routes.pop(vt_symbol, None)
            self._pending_routes[vt_symbol] = route
            if self._route_sender is None or self._route_sender.done():
                self._route_sender = asyncio.create_task(self._send_routes(), name="ws-routes")

    async def _send_routes(self) -> None:
        while self._pending_routes:
            vt_symbol = next(iter(self._pending_routes))
            await self.forward(wire.route(vt_symbol, self._pending_routes.pop(vt_symbol)))

    def _on_main_entry(self, key: str, main: MainContract | None) -> None:
        if main is None:
            # The key is the product (SHFE.rb); the board holds decisions by alias.
            for alias in list(self.board.main_contracts):
                found = alias_product(alias)
                if found is not None and buckets.product_key(*found) == key:
                    self.board.drop_main(alias)
        elif self.board.take_main(main):
            self.publish(wire.event("main_contract_changed", main))

    def _on_health_entry(self, key: str, verdict: SourceHealth | None) -> None:
        if verdict is None:
            self.board.drop_health(key)
        elif self.board.take_health(verdict):
            self.publish(wire.event("health", verdict))
