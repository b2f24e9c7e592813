"""`make bench`: tickhub's speed measured beside raw ZeroMQ and vnpy's own RPC.

Results go to docs/benchmarks.md. These are measurements, not tests: nothing here
asserts, it reports (targets are printed beside the figures).
"""
