"""The real CTP path end to end, judged by what a ZeroMQ client receives.

A ``ctp`` account on a local front: a gateway worker running vnpy's EventEngine and
vnpy_ctp's CtpGateway unchanged, over tickhub's stand-in market-data library, logs in
to ``tickhub ctp-front``, subscribes and receives CThostFtdcDepthMarketDataField
records; the publisher sends them on. Every value the client gets is checked against
the feed the front printed (the sim's, a pure function of contract and slot), with
the exchanges' quirks undone: CZCE's missing milliseconds, DBL_MAX for empty levels
and unset prices, the snapshot a front replays at login.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

import msgspec
import pytest
import zmq
import zmq.asyncio
from nats.aio.msg import Msg

from tickhub_contracts import codec, subjects, zeromq
from tickhub_contracts.messages import LogRecord, Tick
from tickhub_contracts.timezone import CHINA_TZ
from tickhub_gateway.sources.sim.feed import SimFeed
from tickhub_harness.bus_watch import now_ns
from tickhub_harness.failover_hub import Hub
from tickhub_harness.failover_recorder import ns_of
from tickhub_harness.local_fronts import FRONT_RATE, LocalFront, local_ctp_source
from tickhub_harness.pool import SEED

from .conftest import MakeHub
from .judge import tail

CONTRACTS = ["m2605.DCE", "SR605.CZCE", "IF2512.CFFEX", "au2602.SHFE"]
CANARY = "rb2605.SHFE"
FIVE_LEVELS = {"SHFE", "INE"}
"""The exchanges whose fronts send the whole five-level book (the others: level 1)."""
SLOT_NS = round(1e9 / FRONT_RATE)
LOGIN_REJECTED = "CTP:不合法的登录"


class Client:
    """A ZeroMQ SUB client keeping every tick whole."""

    def __init__(self, endpoint: str) -> None:
        self.context = zmq.asyncio.Context()
        self.socket = self.context.socket(zmq.SUB)
        self.socket.setsockopt(zmq.SUBSCRIBE, b"")
        self.socket.connect(endpoint)
        self.ticks: list[tuple[str, Tick]] = []

    async def until(self, enough: Callable[[list[tuple[str, Tick]]], bool], within: float) -> None:
        deadline = asyncio.get_running_loop().time() + within
        while not enough(self.ticks):
            left = deadline - asyncio.get_running_loop().time()
            assert left > 0, f"not enough ticks within {within} s: got {len(self.ticks)}"
            if await self.socket.poll(min(left, 0.5) * 1000):
                topic, payload = await self.socket.recv_multipart()
                self.ticks.append((topic.decode(), zeromq.decode(payload)))

    def close(self) -> None:
        self.socket.close(0)
        self.context.term()


@pytest.fixture
async def client_of() -> AsyncIterator[Callable[[Hub], Client]]:
    clients: list[Client] = []

    def make(hub: Hub) -> Client:
        clients.append(Client(hub.endpoint))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def front(tmp_path: Path) -> LocalFront:
    return LocalFront(tmp_path / "front", [*CONTRACTS, CANARY], seed=SEED)


def expected_of(vt_symbol: str, at: datetime) -> Tick:
    """What the front printed for the slot of ``at``, as the sim has it."""
    sim = SimFeed(vt_symbol, SEED, FRONT_RATE).tick(ns_of(at) // SLOT_NS)
    return msgspec.convert(
        {k: getattr(sim, k) for k in Tick.__struct_fields__ if hasattr(sim, k)}
        | {"exchange": sim.exchange.value},
        Tick,
        from_attributes=True,
    )


PRICES = ("last_price", "limit_up", "limit_down", "open_price", "high_price", "low_price",
          "pre_close", "bid_price_1", "ask_price_1")  # fmt: skip
AMOUNTS = ("volume", "turnover", "open_interest", "bid_volume_1", "ask_volume_1")


async def test_login_subscribe_and_every_value_of_every_tick_as_the_front_printed_it(
    make_hub: MakeHub, tmp_path: Path, client_of: Callable[[Hub], Client]
) -> None:
    local = front(tmp_path)
    source = local_ctp_source("ctp-a", 1, local, contracts=CONTRACTS, canary=CANARY)
    hub = await make_hub([source], fronts={"ctp-a": local})
    client = client_of(hub)
    await hub.ready()

    def four_each(ticks: list[tuple[str, Tick]]) -> bool:
        # The canary proves the feed to the health service; clients get the contracts.
        return all(sum(topic == vt for topic, _ in ticks) >= 4 for vt in CONTRACTS)

    await client.until(four_each, 30)
    for topic, tick in client.ticks:
        assert topic == f"{tick.symbol}.{tick.exchange}"
        expected = expected_of(topic, tick.datetime)
        why = f"{topic} {tick.datetime}: {tick} vs {expected}"
        # The exchange time to the microsecond: CZCE's records carry no milliseconds
        # (two share each UpdateTime), the gateway's stamper puts them back on 0/500 ms.
        assert tick.datetime == expected.datetime, why
        assert ns_of(tick.datetime) % SLOT_NS == 0, why
        for name in (*PRICES, *AMOUNTS):
            assert getattr(tick, name) == getattr(expected, name), f"{name}: {why}"
        for level in range(2, 6):
            for side in ("bid", "ask"):
                price, volume = f"{side}_price_{level}", f"{side}_volume_{level}"
                if tick.exchange in FIVE_LEVELS:
                    assert getattr(tick, price) == getattr(expected, price), why
                    assert getattr(tick, volume) == getattr(expected, volume), why
                else:  # an empty level: DBL_MAX on the wire, no price (None) here
                    assert (getattr(tick, price), getattr(tick, volume)) == (None, 0), why
        assert tick.live and tick.source == "ctp-a", why
        assert tick.name == tick.symbol, why  # a market-data-only account has no names
    # Each contract's ticks in exchange order, one per slot, none doubled.
    for vt in CONTRACTS:
        times = [ns_of(t.datetime) for topic, t in client.ticks if topic == vt]
        assert times == sorted(set(times)), vt
        assert all(b - a == SLOT_NS for a, b in itertools.pairwise(times)), vt
        seqs = [t.seq for topic, t in client.ticks if topic == vt]
        first = seqs[0]
        assert first is not None, vt
        assert seqs == list(range(first, first + len(seqs))), vt


async def test_the_snapshot_a_front_replays_at_login_never_reaches_a_client_as_live(
    make_hub: MakeHub, tmp_path: Path
) -> None:
    local = front(tmp_path)
    source = local_ctp_source("ctp-a", 1, local, contracts=CONTRACTS, canary=CANARY)
    hub = await make_hub([source], fronts={"ctp-a": local})
    await hub.ready()
    # Log in again (the front drops us; CTP's library reconnects): a second replay.
    drop = hub.front_fault("drop", "ctp-a")
    back = await hub.bus.connections.wait(
        lambda c: c.source == "ctp-a" and c.state == "connected", 20, drop.at_ns, "re-login"
    )
    await hub.until(lambda: local.status()["snapshots_replayed"] >= 2 * 5, 10, "replays")
    await tail(hub, 2.0)
    # The client (recording from the hub's start) got every contract, and never the
    # first login's replayed slots: nothing had printed them live before. (The second
    # login's replays repeat slots the client had live: those it must not get twice.)
    replays = local.status()["replays"]
    assert len(replays) >= 2 * (len(CONTRACTS) + 1), replays
    first = {
        (instrument, f"{time}.{ms:03d}") for instrument, time, ms in replays[: len(CONTRACTS) + 1]
    }
    got: dict[tuple[str, str], int] = {}
    for arrival in hub.recorder.arrivals:
        at = datetime.fromtimestamp(arrival.exchange_ns / 1e9, CHINA_TZ)
        key = (arrival.vt_symbol.split(".")[0], at.strftime("%H:%M:%S.%f")[:12])
        got[key] = got.get(key, 0) + 1
    assert not first & set(got), f"replayed snapshots reached the client: {first & set(got)}"
    assert all(count == 1 for count in got.values()), "a tick went out twice"
    assert {vt for vt, _ in got} >= {c.split(".")[0] for c in CONTRACTS}
    assert back.at_ns > drop.at_ns


async def test_a_wrong_password_needs_the_operator_at_once_and_is_never_tried_again(
    make_hub: MakeHub, tmp_path: Path
) -> None:
    local = front(tmp_path)
    source = local_ctp_source(
        "ctp-a", 1, local, contracts=CONTRACTS, canary=CANARY, password="not-the-password"
    )
    logs: list[LogRecord] = []

    async def on_log(msg: Msg) -> None:
        with contextlib.suppress(Exception):
            logs.append(codec.decode(msg.data, LogRecord))

    hub = await make_hub([source], fronts={"ctp-a": local})
    assert hub.bus.nc is not None
    await hub.bus.nc.subscribe(subjects.LOG_ALL, cb=on_log)
    started = now_ns()
    verdict = await hub.bus.health.wait(
        lambda h: h.source == "ctp-a" and h.state == "UNHEALTHY", 30, 0, "ctp-a judged"
    )
    assert verdict.value.cause == "login_rejected" and verdict.value.needs_operator, verdict
    status = await hub.bus.statuses.wait(
        lambda s: s.source == "ctp-a" and s.connection == "login_failed", 10, 0, "the status"
    )
    # CTP's Chinese text, readable (GB18030 on the wire, UTF-8 from vnpy_ctp on).
    assert status.value.reason_code == 3 and LOGIN_REJECTED in status.value.reason, status
    # Well past the restart cool-down: no restart, no second login.
    await hub.until(lambda: now_ns() - started > 6e9, 10, "six seconds")
    assert not hub.bus.restarts.find(lambda r: r.source == "ctp-a" and r.action == "ordered")
    counts = local.status()
    assert (counts["logins_ok"], counts["logins_rejected"]) == (0, 1), counts
    assert any(LOGIN_REJECTED in record.message for record in logs), [r.message for r in logs]


SAMPLE_DAY = Path(__file__).resolve().parents[3] / "examples" / "ctp-replay-sample.csv"


def recorded(path: Path) -> dict[str, list[tuple[float, float]]]:
    """(LastPrice, Volume) of every row of a replay file, per instrument, in file order."""
    rows = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    header = rows[0].split(",")
    found: dict[str, list[tuple[float, float]]] = {}
    for line in rows[1:]:
        row = dict(zip(header, line.split(","), strict=True))
        found.setdefault(row["InstrumentID"], []).append(
            (float(row["LastPrice"]), float(row["Volume"]))
        )
    return found


async def test_a_recorded_day_replayed_by_the_front_reaches_the_client_row_for_row(
    make_hub: MakeHub, tmp_path: Path, client_of: Callable[[Hub], Client]
) -> None:
    contracts = ["rb2605.SHFE", "m2605.DCE", "SR605.CZCE"]
    # A quarter of the recorded pace: the 6 s of the sample last 24 s, so most of them
    # come after the hub is up, even on a loaded machine (the replay starts with the
    # front); the canary then ticks every 2 s, within a canary timeout of 5 s.
    local = LocalFront(
        tmp_path / "front",
        contracts,
        seed=SEED,
        extra_args=["--replay", str(SAMPLE_DAY), "--speed", "0.25"],
    )
    source = local_ctp_source("ctp-a", 1, local, contracts=contracts[1:], canary=contracts[0])
    hub = await make_hub([source], fronts={"ctp-a": local}, env={"TICKHUB_CANARY_TIMEOUT_S": "5"})
    client = client_of(hub)
    await hub.ready()
    expected = recorded(SAMPLE_DAY)

    def to_the_end(ticks: list[tuple[str, Tick]]) -> bool:
        last = {topic: (t.last_price, t.volume) for topic, t in ticks}
        return all(last.get(vt) == expected[vt.split(".")[0]][-1] for vt in contracts[1:])

    await client.until(to_the_end, 40)
    for vt in contracts[1:]:
        got = [(t.last_price, t.volume) for topic, t in client.ticks if topic == vt]
        rows = expected[vt.split(".")[0]]
        # What the client got is the file's tail, row for row, none skipped or doubled.
        assert got and got == rows[len(rows) - len(got) :], (vt, got, rows)
        assert all(t.live for topic, t in client.ticks if topic == vt)
