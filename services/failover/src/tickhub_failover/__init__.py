"""tickhub failover service."""
