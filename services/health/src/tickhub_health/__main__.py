"""`tickhub health` / `python -m tickhub_health`: run the health service."""

from tickhub_runtime import service

from .app import HealthService

if __name__ == "__main__":
    service.run_on_bus("health", HealthService)
