"""The local CTP setup: a stand-in market-data library and the front it talks to,
for rehearsal and tests without a broker."""
