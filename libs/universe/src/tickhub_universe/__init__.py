"""The contract universe: entries, the catalog, resolving, allocating, main contracts."""
