"""Where a CTP api keeps its flow files: inside the source's own directory."""

from __future__ import annotations

import os
from pathlib import Path


def flow_path(directory: Path) -> bytes:
    # CTP glues its file names onto this prefix: the trailing separator keeps them
    # inside the directory (vnpy appends "\\Md", which on Linux is part of a file name).
    directory.mkdir(parents=True, exist_ok=True)
    return os.fsencode(f"{directory}{os.sep}")
