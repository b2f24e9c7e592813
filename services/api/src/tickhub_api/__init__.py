"""tickhub api service."""
