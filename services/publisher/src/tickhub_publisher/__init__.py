"""tickhub publisher service: the routed ticks from NATS onto a ZeroMQ PUB socket.

Modules: ``routing`` (which sources are eligible per contract, read from the failover
service's bucket), ``arbiter`` (order, duplicates, seq), ``zmqpub`` (the bounded PUB
socket), ``bridge`` (the tick path), ``mains`` (each product's main contract behind its
alias ``rb888.SHFE``, and the day book it is decided from), ``mainstore`` (their KV
buckets and NATS news, off the tick path), ``app`` (the service). What goes out (the
topic frame, the msgpack payload, the ``#main.`` announcements) is the contract's:
:mod:`tickhub_contracts.zeromq`.
"""
