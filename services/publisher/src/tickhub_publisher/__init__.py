"""tickhub publisher service."""
