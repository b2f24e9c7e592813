"""`tickhub failover` / `python -m tickhub_failover`: run the failover service."""

from tickhub_runtime import service

from .app import FailoverService

if __name__ == "__main__":
    service.run_on_bus("failover", FailoverService)
