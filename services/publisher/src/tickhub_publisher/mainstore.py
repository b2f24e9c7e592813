"""The main contracts' side off the tick path: the two buckets and the NATS news.

* At the start, both buckets are read (and created when missing: the publisher is
  their writer), retried until they answer, and handed to :meth:`Mains.load`; until
  then no product decides, so what a previous run stored is never overwritten by a
  decision made without it. Only keys of this publisher's exchanges are taken: a
  shard decides for its exchanges alone, and the keys are per exchange.
* Each decision (:meth:`MainStore.on_main`, called by the bridge after announcing it
  on ZeroMQ) is one INFO line, a put into ``tickhub_main_contracts`` and, when the
  alias names another contract, a message on ``tickhub.universe.main``.
* Every ``persist_s`` the day books of the products forwarded ticks since are put
  into ``tickhub_day_closes``, and once more at the stop: a publisher restarted after
  the close decides the next day from this day's closes.

Puts go through :class:`~tickhub_runtime.kv.BucketWriter` (newest value per key, one
background task, every call bounded, retried); NATS messages through one task with a
bounded queue. A KV or NATS outage costs aliases their persistence, never a tick.
"""

from __future__ import annotations

import asyncio
import collections

from nats.aio.client import Client

from tickhub_contracts import buckets, codec, subjects
from tickhub_contracts.messages import MainContract, ProductCloses
from tickhub_runtime.kv import JS_TIMEOUT_S, BucketWriter, open_bucket, snapshot
from tickhub_runtime.kv.bucket import bounded
from tickhub_runtime.logs import get_logger
from tickhub_universe.entries import alias_product

from .mains import Mains, Outcome

log = get_logger("tickhub.publisher")

PERSIST_S = 30.0
"""How often the day books of the products that ticked are put into KV."""

OUTBOX_LIMIT = 1000
"""NATS messages waiting to go out; past it the oldest are dropped (the bucket keeps
the truth, the message is news)."""

MAINS_DESCRIPTION = "tickhub: product -> its main contract for the trading day (the publisher)"
CLOSES_DESCRIPTION = (
    "tickhub: product -> its months' last volume and open interest of the trading day "
    "(the publisher)"
)


def key_of_alias(alias: str) -> str:
    """``'rb888.SHFE'`` -> ``'SHFE.rb'`` (the product key its main is stored under)."""
    found = alias_product(alias)
    if found is None:
        raise ValueError(f"{alias!r} is not a main-contract alias")
    return buckets.product_key(*found)


def _exchange_of(key: str) -> str:
    return key.partition(".")[0]


def read_mains(found: dict[str, bytes], exchanges: frozenset[str]) -> dict[str, MainContract]:
    """The bucket's entries of ``exchanges`` (every exchange when empty) that can be
    read and sit under their own key; the others are logged and left alone."""
    mains = {}
    for key, raw in found.items():
        if exchanges and _exchange_of(key) not in exchanges:
            continue
        try:
            main = codec.decode(raw, MainContract)
            if key_of_alias(main.alias) != key:
                raise ValueError(f"its alias {main.alias!r} is another product's")
        except (*codec.DecodeError, ValueError) as error:
            log.warning("bucket %s: key %s ignored: %s", buckets.MAIN_CONTRACTS, key, error)
            continue
        mains[key] = main
    return mains


def read_closes(found: dict[str, bytes], exchanges: frozenset[str]) -> dict[str, ProductCloses]:
    """Like :func:`read_mains`, for ``tickhub_day_closes``."""
    closes = {}
    for key, raw in found.items():
        if exchanges and _exchange_of(key) not in exchanges:
            continue
        try:
            book = codec.decode(raw, ProductCloses)
            if buckets.product_key(book.exchange, book.product) != key:
                raise ValueError(f"it is the book of {book.exchange}.{book.product}")
        except (*codec.DecodeError, ValueError) as error:
            log.warning("bucket %s: key %s ignored: %s", buckets.DAY_CLOSES, key, error)
            continue
        closes[key] = book
    return closes


def describe(outcome: Outcome) -> str:
    """The log line of a decision."""
    main = outcome.main
    key = key_of_alias(main.alias)
    day = main.trading_day.isoformat()
    if not outcome.decided:
        return f"main contract {key}: {main.vt_symbol} for {day}, as decided before the start"
    if not outcome.changed:
        return f"main contract {key}: {main.vt_symbol} kept for {day} ({main.reason})"
    return (
        f"main contract {key}: {main.previous or 'none'} -> {main.vt_symbol} for {day} "
        f"({main.reason})"
    )


class MainStore:
    """Loads what the buckets hold into ``mains``, stores its decisions and books, and
    publishes the changes. ``start``, then ``close``."""

    def __init__(
        self,
        nc: Client,
        mains: Mains,
        *,
        exchanges: frozenset[str] = frozenset(),
        persist_s: float = PERSIST_S,
        retry_s: float = 0.5,
        step_s: float = JS_TIMEOUT_S,
    ) -> None:
        self.nc = nc
        self.mains = mains
        self.exchanges = exchanges
        self.persist_s = persist_s
        self.retry_s = retry_s
        self.step_s = step_s
        self.loaded = asyncio.Event()
        """Set once both buckets were read and handed to ``mains``."""
        self.main_writer = BucketWriter(
            nc, buckets.MAIN_CONTRACTS, description=MAINS_DESCRIPTION, step_s=step_s, log=log
        )
        self.closes_writer = BucketWriter(
            nc, buckets.DAY_CLOSES, description=CLOSES_DESCRIPTION, step_s=step_s, log=log
        )
        self.published = 0
        """Messages sent on ``MAIN_CONTRACT_CHANGED``."""
        self._outbox: collections.deque[MainContract] = collections.deque(maxlen=OUTBOX_LIMIT)
        self._news = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self.main_writer.start()
        self.closes_writer.start()
        for name, step in (
            ("publisher-mains-load", self._load()),
            ("publisher-mains-persist", self._persist_loop()),
            ("publisher-mains-news", self._news_loop()),
        ):
            self._tasks.append(asyncio.create_task(step, name=name))

    async def close(self, timeout_s: float = JS_TIMEOUT_S) -> None:
        """The books once more, then every pending write (bounded by ``timeout_s``)."""
        for task in self._tasks:
            task.cancel()
        # nats-py can swallow a cancellation inside a request: never wait for good.
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self.step_s)
        self._tasks.clear()
        if self.loaded.is_set():
            self.persist()
        await asyncio.gather(self.main_writer.close(timeout_s), self.closes_writer.close(timeout_s))

    # --- reading ------------------------------------------------------------------------

    async def _load(self) -> None:
        failing = False
        while True:
            try:
                found_mains = await self._read(buckets.MAIN_CONTRACTS, MAINS_DESCRIPTION)
                found_closes = await self._read(buckets.DAY_CLOSES, CLOSES_DESCRIPTION)
            except Exception as error:
                if not failing:
                    failing = True
                    log.warning(
                        "main contracts not read (%s: %s); no alias decides until they are",
                        type(error).__name__,
                        error,
                    )
                await asyncio.sleep(self.retry_s)
                continue
            break
        mains = read_mains(found_mains, self.exchanges)
        closes = read_closes(found_closes, self.exchanges)
        self.mains.load(mains, closes)
        self.loaded.set()
        log.info(
            "main contracts: %d read from %s, %d day books from %s",
            len(mains),
            buckets.MAIN_CONTRACTS,
            len(closes),
            buckets.DAY_CLOSES,
        )

    async def _read(self, name: str, description: str) -> dict[str, bytes]:
        bucket = await bounded(
            open_bucket(
                self.nc, name, create=True, description=description, js_timeout=self.step_s
            ),
            self.step_s * 2,
        )
        return await snapshot(bucket, self.step_s)

    # --- writing ------------------------------------------------------------------------

    def on_main(self, outcome: Outcome) -> None:
        """A decision (or an alias taken over at the start): log, store, publish.
        Returns at once."""
        main = outcome.main
        line = describe(outcome)
        extra = {"symbol": main.alias}
        if not outcome.decided:
            log.debug("%s", line, extra=extra)
            return
        log.info("%s", line, extra=extra)
        self.main_writer.put(key_of_alias(main.alias), codec.encode(main))
        if outcome.changed:
            self._outbox.append(main)
            self._news.set()

    def persist(self) -> int:
        """Put the books of the products that ticked since the last call; how many."""
        books = self.mains.changed_books()
        for book in books:
            self.closes_writer.put(
                buckets.product_key(book.exchange, book.product), codec.encode(book)
            )
        return len(books)

    async def _persist_loop(self) -> None:
        await self.loaded.wait()
        while True:
            await asyncio.sleep(self.persist_s)
            self.persist()

    async def _news_loop(self) -> None:
        while True:
            await self._news.wait()
            self._news.clear()
            while self._outbox:
                main = self._outbox.popleft()
                try:
                    await bounded(
                        self.nc.publish(subjects.MAIN_CONTRACT_CHANGED, codec.encode(main)),
                        self.step_s,
                    )
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    log.warning("main contract of %s not published on NATS (%r)", main.alias, error)
                    continue
                self.published += 1
