"""`tickhub gateway` / `python -m tickhub_gateway`: run the GatewayManager."""

from tickhub_runtime import service

from .app import main

if __name__ == "__main__":
    service.run("gateway", main)
