"""tickhub's contracts: every NATS subject and every message, and the ZeroMQ stream
clients read, in one place.

Import the modules, not names from here: ``from tickhub_contracts import subjects``.
"""
