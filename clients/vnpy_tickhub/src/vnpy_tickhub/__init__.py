"""vnpy_tickhub (being written)."""
