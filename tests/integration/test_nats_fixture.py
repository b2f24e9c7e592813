import asyncio

from nats.aio.client import Client
from nats.aio.msg import Msg

from tickhub_cli.natsserver import NatsServer


async def test_the_bundled_server_answers_and_has_jetstream(
    nats_server: NatsServer, nc: Client
) -> None:
    assert nats_server.port > 0
    got: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    async def handler(msg: Msg) -> None:
        got.set_result(msg.data)

    await nc.subscribe("tickhub.test", cb=handler)
    await nc.publish("tickhub.test", b"hi")
    assert await asyncio.wait_for(got, 2) == b"hi"
    info = await nc.jetstream().account_info()
    assert info.limits is not None
