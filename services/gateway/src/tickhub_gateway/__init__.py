"""tickhub gateway service."""
