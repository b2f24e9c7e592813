"""The tickhub command line."""
