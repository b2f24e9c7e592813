"""bus.open_unless_stopped's options and service.serve_on_bus against a real
nats-server: the connection a service gets, a stop before the server, and the whole
start / wait / close / drain life of a service."""

from __future__ import annotations

import asyncio
import logging

import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import SlowConsumerError

from tickhub_cli.natsserver import NatsServer
from tickhub_runtime import bus, service
from tickhub_runtime.logs import NatsLogHandler
from tickhub_runtime.settings import Settings

BOUND = 10.0


def log_handlers_of(nc: Client) -> list[NatsLogHandler]:
    return [h for h in logging.getLogger().handlers if isinstance(h, NatsLogHandler) and h.nc is nc]


async def test_the_connection_is_named_and_its_errors_go_to_the_callback(
    settings: Settings,
) -> None:
    errors: list[Exception] = []
    got_one = asyncio.Event()

    async def on_error(error: Exception) -> None:
        errors.append(error)
        got_one.set()

    nc = await bus.open_unless_stopped(
        settings,
        "gateway",
        asyncio.Event(),
        name="tickhub-gateway-sim-a",
        error_cb=on_error,
        service_logs=False,
    )
    assert nc is not None
    try:
        assert nc.options["name"] == "tickhub-gateway-sim-a"
        assert log_handlers_of(nc) == []  # service_logs=False: nothing goes out on NATS
        # A subscriber that falls behind: nats-py reports it to the error callback.
        release = asyncio.Event()

        async def stuck(msg: Msg) -> None:
            await release.wait()

        await nc.subscribe("t.flood", cb=stuck, pending_msgs_limit=1)
        for _ in range(5):
            await nc.publish("t.flood", b"x")
        await asyncio.wait_for(got_one.wait(), BOUND)
        assert isinstance(errors[0], SlowConsumerError)
        release.set()
    finally:
        await nc.close()


async def test_by_default_its_logs_go_out_on_nats(settings: Settings) -> None:
    nc = await bus.open_unless_stopped(settings, "health", asyncio.Event())
    assert nc is not None
    try:
        assert nc.options["name"] == "tickhub-health"
        assert [h.service for h in log_handlers_of(nc)] == ["health"]
    finally:
        for handler in log_handlers_of(nc):
            logging.getLogger().removeHandler(handler)
        await nc.close()


async def test_a_stop_before_the_server_comes_ends_the_wait(
    settings: Settings, nats_server: NatsServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "tickhub.kit")
    nats_server.stop()  # nothing listens on its port now
    stop = asyncio.Event()
    opening = asyncio.create_task(bus.open_unless_stopped(settings, "kit", stop))
    await asyncio.sleep(0)  # let it begin retrying
    assert not opening.done()
    stop.set()
    assert await asyncio.wait_for(opening, BOUND) is None
    assert "stopped before NATS was reached" in caplog.messages


class Recorder:
    """A service as serve_on_bus sees it."""

    def __init__(self, settings: Settings, nc: Client) -> None:
        self.settings = settings
        self.nc = nc
        self.started = asyncio.Event()
        self.closed = asyncio.Event()

    async def start(self) -> None:
        self.started.set()

    async def close(self) -> None:
        assert self.nc.is_connected  # closed before the connection is drained
        self.closed.set()


class Failing(Recorder):
    async def start(self) -> None:
        await super().start()
        raise RuntimeError("cannot start")


class Factory:
    """Makes the service and keeps what it made."""

    def __init__(self, kind: type[Recorder] = Recorder) -> None:
        self.kind = kind
        self.made: list[Recorder] = []
        self.making = asyncio.Event()

    def __call__(self, settings: Settings, nc: Client) -> Recorder:
        self.made.append(self.kind(settings, nc))
        self.making.set()
        return self.made[-1]


async def test_serve_on_bus_connects_builds_starts_waits_closes_and_drains(
    settings: Settings,
) -> None:
    factory = Factory()
    stop = asyncio.Event()
    main = service.on_bus("kit", factory)
    running = asyncio.ensure_future(main(settings, stop))
    await asyncio.wait_for(factory.making.wait(), BOUND)
    (made,) = factory.made
    await asyncio.wait_for(made.started.wait(), BOUND)
    assert made.settings is settings
    assert made.nc.options["name"] == "tickhub-kit"
    assert len(log_handlers_of(made.nc)) == 1
    assert not made.closed.is_set()
    stop.set()
    await asyncio.wait_for(running, BOUND)
    assert made.closed.is_set()
    assert made.nc.is_closed  # drained
    assert log_handlers_of(made.nc) == []


async def test_a_failed_start_is_closed_drained_and_raised(settings: Settings) -> None:
    factory = Factory(Failing)
    with pytest.raises(RuntimeError, match="cannot start"):
        await asyncio.wait_for(
            service.serve_on_bus("kit", factory, settings, asyncio.Event()), BOUND
        )
    (made,) = factory.made
    assert made.closed.is_set() and made.nc.is_closed


async def test_serve_on_bus_stopped_before_the_server_builds_nothing(
    settings: Settings, nats_server: NatsServer
) -> None:
    factory = Factory()
    nats_server.stop()
    stop = asyncio.Event()
    running = asyncio.create_task(service.serve_on_bus("kit", factory, settings, stop))
    await asyncio.sleep(0)
    stop.set()
    await asyncio.wait_for(running, BOUND)
    assert factory.made == []
