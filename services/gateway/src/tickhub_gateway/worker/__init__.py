"""The worker: one source's process, ``python -m tickhub_gateway.worker``.

:mod:`.app` is the process (its config from stdin, its environment checked), :mod:`.host`
runs the source's vnpy gateway and relays it onto NATS, :mod:`.convert` is the tick
path's copy of vnpy's TickData into the contract's Tick.

vnpy fixes its ``TRADER_DIR`` from the cwd when first imported, so this package and
:mod:`.app` import no vnpy at their top level: :mod:`.app` makes ``.vntrader`` first and
imports :mod:`.host` only then.
"""
