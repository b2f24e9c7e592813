"""Market knowledge shared by tickhub services (trading sessions)."""
