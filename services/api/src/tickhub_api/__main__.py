"""`tickhub api` / `python -m tickhub_api`: serve the REST API with uvicorn."""

from .server import serve

if __name__ == "__main__":
    serve()
