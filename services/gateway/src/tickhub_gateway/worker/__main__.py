"""``python -m tickhub_gateway.worker``: one source's worker process (:mod:`.app`)."""

from .app import main

if __name__ == "__main__":
    main()
