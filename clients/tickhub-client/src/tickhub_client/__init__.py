"""tickhub-client (being written)."""
