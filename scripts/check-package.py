"""Whether one workspace package stands alone: what it imports, it declares.

Run by the python of an environment that holds the package and nothing but what it
declares (``uv sync --package NAME`` into an empty ``UV_PROJECT_ENVIRONMENT``;
tests/integration/test_packages_alone.py does that for every package):

    <env>/bin/python scripts/check-package.py tickhub-publisher

1. Every import in the package's sources names the standard library, the package
   itself or a distribution the package declares itself: one that only comes in
   through another dependency (``nats`` through ``tickhub-runtime``) does not count,
   since that dependency may drop it. An import inside ``try: ... except
   ImportError`` is optional (the code copes without it) and may be undeclared.
2. Every module of the package imports (``__main__`` modules, which run the program,
   are left out).

One line per problem on stdout; exit code 1 if there is any. Standard library only:
it runs where nothing else is installed.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import importlib.util
import re
import sys
import traceback
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

_OPTIONAL = {"ImportError", "ModuleNotFoundError"}


class Import(NamedTuple):
    module: str
    """The top-level module (``nats`` for ``from nats.aio.client import Client``)."""
    line: int
    optional: bool
    """Inside a ``try`` that catches ImportError."""


def normalise(name: str) -> str:
    """A distribution's name as packaging compares it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str | None:
    """``'tortoise-orm[asyncpg]<1.2,>=1.1'`` -> ``'tortoise-orm'``; None for a
    requirement of an extra (``...; extra == "x"``), which is not always there."""
    if re.search(r"""\bextra\s*==""", requirement):
        return None
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return normalise(match.group(1)) if match else None


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    caught = handler.type
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    return any(isinstance(name, ast.Name) and name.id in _OPTIONAL for name in names)


def imports_of(source: str) -> Iterator[Import]:
    """The absolute imports of a module's source, each with its top-level module."""

    def walk(node: ast.AST, optional: bool) -> Iterator[Import]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name.split(".")[0], node.lineno, optional)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield Import(node.module.split(".")[0], node.lineno, optional)
        guarded = isinstance(node, ast.Try) and any(map(_catches_import_error, node.handlers))
        for field, value in ast.iter_fields(node):
            children = value if isinstance(value, list) else [value]
            for child in children:
                if isinstance(child, ast.AST):
                    yield from walk(child, optional or (guarded and field == "body"))

    yield from walk(ast.parse(source), False)


def undeclared(
    files: Iterable[Path],
    own: str,
    declared: set[str],
    providers: Mapping[str, list[str]],
) -> list[str]:
    """A line for each import of ``files`` that nothing declared provides.

    ``providers``: top-level module -> the distributions that install it
    (:func:`importlib.metadata.packages_distributions`). A module it does not know
    (not installed, or a workspace package installed editable) is taken to come from
    the distribution of its own name, as tickhub's do (``tickhub_runtime``).
    """
    problems = []
    for path in sorted(files):
        for found in imports_of(path.read_text(encoding="utf-8")):
            module = found.module
            if found.optional or module == own or module in sys.stdlib_module_names:
                continue
            if module == "__future__":
                continue
            dists = {normalise(d) for d in providers.get(module, [module])}
            if not dists & declared:
                problems.append(
                    f"{path}:{found.line}: imports {module}, which it does not declare "
                    f"(add {' or '.join(sorted(dists))} to its pyproject.toml dependencies)"
                )
    return problems


def import_all(package: str, root: Path) -> list[str]:
    """Import every module under ``root`` (the directory of ``package``)."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join((package, *parts))
        try:
            importlib.import_module(name)
        except BaseException as error:  # SystemExit too: one module must not end the check
            where = traceback.extract_tb(error.__traceback__)[-1]
            problems.append(
                f"{name} does not import: {type(error).__name__}: {error} "
                f"({where.filename}:{where.lineno})"
            )
    return problems


def check(distribution: str) -> list[str]:
    package = distribution.replace("-", "_")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return [f"{distribution}: its package {package} is not installed here"]
    root = Path(next(iter(spec.submodule_search_locations)))
    requires = importlib.metadata.requires(distribution) or []
    declared = {name for name in map(requirement_name, requires) if name is not None}
    providers = importlib.metadata.packages_distributions()
    return [
        *undeclared(root.rglob("*.py"), package, declared, providers),
        *import_all(package, root),
    ]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python scripts/check-package.py DISTRIBUTION", file=sys.stderr)
        return 2
    problems = check(argv[0])
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
