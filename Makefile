# tickhub: the two commands a newcomer needs are `make up` and `make test`.
# Needs only Python 3.11+, Node 20 and make: uv is installed from PyPI when missing.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
export PYTHON
# The uv on PATH when it is new enough, else the repository's own under .bin/.
UV := $(shell scripts/uv-path.sh .bin)
# "Setup if needed": redone whenever the lock or any package's pyproject changes.
STAMP := .venv/.tickhub-setup
SETUP_INPUTS := uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml cli/pyproject.toml) \
	$(wildcard frontend/package.json frontend/package-lock.json)

ARGS ?=
PYTEST_ARGS ?=

.PHONY: help setup up test lint format bench clean distclean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(STAMP) ## install uv (if missing) and every package of the workspace

# Only the repository's own uv has a rule: one found on PATH is used as it is.
.bin/uv-venv/bin/uv:
	scripts/bootstrap-uv.sh .bin

$(STAMP): $(SETUP_INPUTS) | $(UV)
	$(UV) sync --frozen
	@if [[ -f frontend/package.json ]]; then \
		if command -v npm >/dev/null; then (cd frontend && npm ci --no-audit --no-fund); \
		else echo "make: npm not found; install Node 20 for the frontend" >&2; exit 1; fi; \
	fi
	@touch $@

up: $(STAMP) ## run the whole hub (bundled NATS, every service); ARGS="--nats-url ..." to pass flags
	$(UV) run --frozen tickhub up $(ARGS)

test: $(STAMP) ## lint, types and the whole test suite; PYTEST_ARGS="-k ..." to narrow
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy
	$(UV) run --frozen pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff (lint and format check) and mypy only
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy

format: $(STAMP) ## rewrite the code in the project's format and apply safe lint fixes
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

bench: $(STAMP) ## throughput and latency benchmark; writes docs/benchmarks.md
	$(UV) run --frozen python -m bench $(ARGS)

clean: ## remove caches and the setup stamp (keeps .venv and the data dir)
	rm -rf .mypy_cache .ruff_cache .pytest_cache .hypothesis dist build $(STAMP)
	find . -name __pycache__ -type d -not -path './.venv/*' -not -path './node_modules/*' -prune -exec rm -rf {} +

distclean: clean ## also remove .venv and the bootstrapped uv
	rm -rf .venv .bin
