"""The local CTP setup: stand-ins for CTP's market-data and trading libraries and the
front they talk to, for rehearsal and tests without a broker."""
