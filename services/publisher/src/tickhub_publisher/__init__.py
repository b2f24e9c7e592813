"""tickhub publisher service: the routed ticks from NATS onto a ZeroMQ PUB socket.

Modules: ``routing`` (which sources are eligible per contract, read from the failover
service's bucket), ``arbiter`` (order, duplicates, seq), ``zmqpub`` (the bounded PUB
socket), ``bridge`` (the tick path), ``app`` (the service). What goes out (the topic
frame, the msgpack payload) is the contract's: :mod:`tickhub_contracts.zeromq`.
"""
