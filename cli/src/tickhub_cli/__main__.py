"""``python -m tickhub_cli``: the ``tickhub`` command, for children started without
the console script on PATH (``tickhub up --demo ctp`` runs its fronts so)."""

from .main import main

if __name__ == "__main__":
    raise SystemExit(main())
