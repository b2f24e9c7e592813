"""vnpy's ``TickData`` -> the contract's ``Tick``, on the tick path (keep it lean)."""

from __future__ import annotations

from vnpy.trader.object import TickData

from tickhub_contracts.messages import Tick
from tickhub_contracts.timezone import CHINA_TZ


def tick_message(
    data: TickData, source: str, received_ns: int, live: bool, in_session: bool = True
) -> Tick:
    """Copy every field of ``data``; prices stay ``None`` where the gateway set none.

    A naive ``datetime`` is taken as Beijing time: every CTP exchange stamps in it,
    and a tick without its zone would be misread by everyone downstream.
    """
    when = data.datetime
    if when.tzinfo is None:
        when = when.replace(tzinfo=CHINA_TZ)
    return Tick(
        symbol=data.symbol,
        # ``_value_`` is Enum's documented raw slot; ``.value`` is a descriptor call
        # that costs a microsecond per tick.
        exchange=data.exchange._value_,
        datetime=when,
        name=data.name,
        volume=data.volume,
        turnover=data.turnover,
        open_interest=data.open_interest,
        last_price=data.last_price,
        last_volume=data.last_volume,
        limit_up=data.limit_up,
        limit_down=data.limit_down,
        open_price=data.open_price,
        high_price=data.high_price,
        low_price=data.low_price,
        pre_close=data.pre_close,
        bid_price_1=data.bid_price_1,
        bid_price_2=data.bid_price_2,
        bid_price_3=data.bid_price_3,
        bid_price_4=data.bid_price_4,
        bid_price_5=data.bid_price_5,
        ask_price_1=data.ask_price_1,
        ask_price_2=data.ask_price_2,
        ask_price_3=data.ask_price_3,
        ask_price_4=data.ask_price_4,
        ask_price_5=data.ask_price_5,
        bid_volume_1=data.bid_volume_1,
        bid_volume_2=data.bid_volume_2,
        bid_volume_3=data.bid_volume_3,
        bid_volume_4=data.bid_volume_4,
        bid_volume_5=data.bid_volume_5,
        ask_volume_1=data.ask_volume_1,
        ask_volume_2=data.ask_volume_2,
        ask_volume_3=data.ask_volume_3,
        ask_volume_4=data.ask_volume_4,
        ask_volume_5=data.ask_volume_5,
        localtime=data.localtime,
        gateway_name=data.gateway_name,
        source=source,
        received_ns=received_ns,
        live=live,
        in_session=in_session,
    )
