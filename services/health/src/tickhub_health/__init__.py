"""tickhub health service."""
