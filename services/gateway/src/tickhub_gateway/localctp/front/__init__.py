"""``tickhub ctp-front``: a local CTP market-data front speaking the stand-in
library's protocol (docs/ctp-front.md), fed by the sim or a recorded tick file."""
