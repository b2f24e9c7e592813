# tickhub: the two commands a newcomer needs are `make up` and `make test`.
# Needs only Python 3.11+, Node 20 and make: uv is installed from PyPI when missing.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
export PYTHON
# The uv on PATH when it is new enough, else the repository's own under .bin/.
UV := $(shell scripts/uv-path.sh .bin)
# pytest's workers (pytest-xdist), one file each at a time: the integration tests mostly
# wait on servers and timers (a run uses about half a core), and each has its own
# nats-server, ports, data dir and database schema, so two run side by side.
PYTEST_WORKERS ?= 2
# "Setup if needed": redone whenever the lock or any package's pyproject changes.
STAMP := .venv/.tickhub-setup
SETUP_INPUTS := uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml cli/pyproject.toml clients/*/pyproject.toml) \
	$(wildcard frontend/package.json frontend/package-lock.json e2e/package.json e2e/package-lock.json \
	examples/node/package.json examples/node/package-lock.json)
# The dashboard's static export, which the api serves at /: rebuilt when its sources change.
DASHBOARD := $(if $(wildcard frontend/package.json),frontend/out/index.html)
DASHBOARD_INPUTS := $(shell find frontend/app frontend/components frontend/lib frontend/public \
	-type f 2>/dev/null) $(wildcard frontend/*.ts frontend/*.mjs frontend/*.json)
# tickhub's stand-ins for CTP's market-data and trading libraries (docs/ctp-front.md).
# CTP's headers may not be committed, so they are compiled here from those in the
# vnpy_ctp sdist that uv.lock pins (downloaded once into .bin/cache): both rebuilt when
# a source, the build script or the lock changes. The build script keeps them when
# what they were built from is unchanged, hence the touch.
LOCALCTP := services/gateway/src/tickhub_gateway/localctp
STANDIN := $(if $(wildcard $(LOCALCTP)/standin/mdapi.cpp),$(LOCALCTP)/lib/libthostmduserapi_se.so)
STANDIN_INPUTS := $(wildcard $(LOCALCTP)/standin/*.cpp $(LOCALCTP)/standin/*.h) \
	$(LOCALCTP)/standin/build.py uv.lock
# npm never fetches a browser (the e2e suite drives the system's Chromium) nor phones home.
# `npm ci` installs exactly the lockfile. It refuses one that lacks other platforms'
# optional binaries (@rollup/rollup-darwin-x64, ...), which `npm install` leaves out
# where the registry serves none of them, as here (frontend/scripts/complete-lock.mjs
# adds them back); should one slip through, the packages still come from that lockfile
# by `npm install --no-save`, which leaves it unchanged.
NPM_INSTALL = npm ci --no-audit --no-fund || { \
	echo "make: npm ci refused $$dir/package-lock.json; installing from it with npm install --no-save" >&2; \
	npm install --no-save --no-audit --no-fund; }
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export NEXT_TELEMETRY_DISABLED := 1

ARGS ?=
PYTEST_ARGS ?=
E2E_ARGS ?=

.PHONY: help setup up test test-frontend test-e2e lint format bench clean distclean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

setup: $(STAMP) $(DASHBOARD) $(STANDIN) ## install uv (if missing), every package, the node packages; build the dashboard and the stand-in CTP libraries

# What the machine must have (README, "Two commands"): checked before anything is
# installed, one line for each thing missing.
PREREQS := scripts/check-prereqs.sh $(PYTHON)

# Only the repository's own uv has a rule: one found on PATH is used as it is.
.bin/uv-venv/bin/uv:
	@$(PREREQS)
	scripts/bootstrap-uv.sh .bin

$(STAMP): $(SETUP_INPUTS) | $(UV)
	@$(PREREQS)
	$(UV) sync --frozen
	@for dir in frontend e2e examples/node; do \
		if [[ -f $$dir/package.json ]]; then \
			command -v npm >/dev/null || { echo "make: npm not found; install Node 20 for $$dir/" >&2; exit 1; }; \
			(cd $$dir && $(NPM_INSTALL)) || exit 1; \
		fi; \
	done
	@touch $@

$(DASHBOARD): $(DASHBOARD_INPUTS) $(STAMP)
	cd frontend && npm run build
	@touch $@

$(STANDIN): $(STANDIN_INPUTS) | $(STAMP)
	$(UV) run --frozen python -m tickhub_gateway.localctp.standin.build
	@touch $@

up: $(STAMP) $(DASHBOARD) $(STANDIN) ## run the whole hub (bundled NATS, every service); ARGS="--nats-url ..." to pass flags
	$(UV) run --frozen tickhub up $(ARGS)

test: $(STAMP) $(DASHBOARD) $(STANDIN) ## lint, types, pytest, the dashboard's tests, then the browser tests; PYTEST_ARGS="-k ..." to narrow
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy
	$(UV) run --frozen pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)
	@$(MAKE) --no-print-directory test-frontend test-e2e

test-frontend: $(STAMP) ## the dashboard's unit tests (vitest), lint and type check
	@if [[ -f frontend/package.json ]]; then \
		(cd frontend && npm test && npm run lint); \
	fi

test-e2e: $(STAMP) $(DASHBOARD) ## the browser tests: headless Chromium against a hub they start (E2E_ARGS="logs" to narrow)
	cd e2e && npm run typecheck && npm test -- $(E2E_ARGS)

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
	rm -rf .mypy_cache .ruff_cache .pytest_cache .hypothesis dist build $(STAMP) frontend/.next e2e/artifacts
	find . -name __pycache__ -type d -not -path './.venv/*' -not -path './node_modules/*' -prune -exec rm -rf {} +

distclean: clean ## also remove .venv, the bootstrapped uv and the stand-in CTP library
	rm -rf .venv .bin frontend/out frontend/node_modules e2e/node_modules examples/node/node_modules \
		$(LOCALCTP)/lib
