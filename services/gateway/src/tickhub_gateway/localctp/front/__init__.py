"""``tickhub ctp-front``: a local CTP front speaking the stand-in libraries' protocol
(docs/ctp-front.md): market data fed by the sim or a recorded tick file, and the
trading side's login and instrument query, from the sim market's listings."""
