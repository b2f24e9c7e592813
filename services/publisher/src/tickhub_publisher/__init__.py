"""tickhub publisher service: the routed ticks from NATS onto a ZeroMQ PUB socket.

Modules: ``routing`` (which sources are eligible per contract, read from the failover
service's bucket), ``arbiter`` (order, duplicates, seq), ``encoder`` (the msgpack
payload), ``zmqpub`` (the bounded PUB socket), ``bridge`` (the tick path), ``app``
(the service).
"""
