"""tickhub publisher service: the selected ticks from NATS onto a ZeroMQ PUB socket.

Modules: ``selection`` (which source per contract), ``arbiter`` (order, duplicates,
seq), ``encoder`` (the msgpack payload), ``zmqpub`` (the bounded PUB socket),
``bridge`` (the tick path), ``app`` (the service).
"""
