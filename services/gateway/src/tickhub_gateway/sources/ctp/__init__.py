"""The ``ctp`` source: vnpy_ctp's CtpGateway, made fit for a market-data hub.

vnpy_ctp as is has three faults here, fixed by subclassing its own classes (the
real CTP API underneath, real sockets):

* ``CtpMdApi.onRtnDepthMarketData`` drops every tick whose symbol the *trading*
  side's instrument query has not put in ``symbol_contract_map``; a market-data-only
  account (no td front, common) therefore gets no ticks at all. Here the exchange
  comes from what the gateway was asked to subscribe (:mod:`.md`).
* Its connection state exists only as log text, and CTP says nothing at all while
  no front answers (a closed port, a dead host): the gateway would look
  "connecting" forever. Here every state goes out as a Connection event, and a
  watchdog reports ``disconnected`` when CTP stays silent (:mod:`.gateway`,
  :mod:`.codes`).
* Its ticks carry DCE's trading day as the date, 0 for "no price" and CZCE's
  shared seconds; :mod:`.normalise` fixes them.

The rest of the room: :mod:`.td` (the trading side, only for contract names),
:mod:`.flow` (where the apis keep their files), :mod:`.release` (closing without a
deadlock) and :mod:`.environment` (the locale and market-data library a ctp worker
needs, provided by the manager before it starts one).

This package imports nothing itself, and :mod:`.environment` no vnpy: the manager
reads it without loading vnpy.
"""
