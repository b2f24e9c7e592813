"""The fault harness shared by the HA tests (tests/integration/ha) and the failover
benchmark (bench/failover.py): a hub of real processes, local CTP fronts, a recording
client and the judge of what it received."""
