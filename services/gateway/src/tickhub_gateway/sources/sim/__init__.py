"""The ``sim`` source: a vnpy gateway that behaves like a CTP market-data front.

:mod:`.gateway` is the gateway (login, faults, the generator thread), :mod:`.feed` the
market it prints (tick content as a pure function of contract, slot and seed), and
:mod:`.hours` when it prints with ``trading_hours="exchange"``.
"""
