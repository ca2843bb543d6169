# One entry point. `make run` and `make test` work on a fresh clone: both create .venv first.
# The suite runs on Lambda's runtime, Python 3.13 (pyenv's, or python3.13 on PATH); where there is
# none, on the python3.11 that pyproject.toml keeps as its floor (mypy and ruff check the floor).
PYENV_RUNTIME := $(shell pyenv versions --bare 2>/dev/null | grep -m1 '^3\.13')
RUNTIME_PYTHON := $(or $(wildcard $(shell pyenv prefix $(PYENV_RUNTIME) 2>/dev/null)/bin/python3.13),$(shell python3.13 -c 'import sys; print(sys.executable)' 2>/dev/null))
FLOOR_PYTHON := $(shell command -v python3.11 || command -v python3)
PYTHON ?= $(or $(RUNTIME_PYTHON),$(FLOOR_PYTHON))
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make run PORT=3001` serves elsewhere; HOST=0.0.0.0 would expose it beyond this machine.
HOST ?= 127.0.0.1
PORT ?= 3000
# aws-sam-cli pins an older boto3, so it lives in a venv of its own, never the project's.
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
# checkov pins its own versions of shared libraries (boto3 among them): a venv of its own too,
# installed by uv from .venv, at one version so a new release's checks never fail a build unasked.
CHECKOV_VENV := .venv-checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov
CHECKOV_VERSION := 3.3.30
# `sam build` needs the runtime's Python (python3.13) on PATH. Under pyenv, select it for that
# command only; elsewhere a python3.13 on PATH is used as it is.
SAM_BUILD_ENV := $(if $(PYENV_RUNTIME),PYENV_VERSION=$(PYENV_RUNTIME))

# The browser tests (tests/e2e/test_console_browser.py) drive the operating system's Chromium:
# installed from Debian's packages once (as root, as in CI; else through sudo), then left as it is.
CHROMIUM := /usr/bin/chromium
AS_ROOT := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: install lock browser run test lint typecheck cfn-lint checkov openapi openapi-check unit integration e2e soak bench validate build clean

install: $(STAMP)

# Every dependency, direct or not, is pinned in uv.lock; `make install` installs exactly those
# (uv, itself one of them, in ~11 s) and fails if pyproject.toml changed since: run `make lock`.
# Bytecode is compiled at install: otherwise every test process compiles moto and botocore itself.
UV_VERSION := 0.13.9
UV := $(BIN)/uv

$(STAMP): pyproject.toml uv.lock
	test -x $(UV) || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet uv==$(UV_VERSION); }
	$(UV) sync --locked --extra dev --compile-bytecode --quiet || { echo 'make install: uv.lock is stale or could not be installed (after editing pyproject.toml: make lock)' >&2; exit 1; }
	touch $(STAMP)

browser: $(CHROMIUM)

$(CHROMIUM):
	$(AS_ROOT) apt-get update -qq
	$(AS_ROOT) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# Re-resolve uv.lock after a change to pyproject.toml's dependencies (`uv lock --upgrade` moves every pin).
lock:
	test -x $(UV) || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet uv==$(UV_VERSION); }
	$(UV) lock

run: install
	$(BIN)/admin-token-api serve --host $(HOST) --port $(PORT)

# The static checks run side by side (mypy alone leaves a core idle), each one's output kept whole.
# Then one pytest worker per core; a test module stays on one worker (module-scoped servers start once).
test: install browser
	$(MAKE) --no-print-directory -j4 --output-sync=target lint typecheck cfn-lint checkov
	$(BIN)/pytest -n auto --dist loadfile --cov --cov-report=term --cov-report=json:build/coverage.json
	$(BIN)/python scripts/coverage_floor.py build/coverage.json

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

cfn-lint: install
	$(BIN)/cfn-lint template.yaml

$(CHECKOV): | $(STAMP)
	$(FLOOR_PYTHON) -m venv $(CHECKOV_VENV)
	$(UV) pip install --quiet --python $(CHECKOV_VENV)/bin/python checkov==$(CHECKOV_VERSION)

# The IaC scanner security teams run. Any finding fails; each deliberate exception is a skip with
# its reason in template.yaml (Metadata: checkov: skip). --skip-download: no Prisma Cloud calls.
checkov: $(CHECKOV)
	$(CHECKOV) --file template.yaml --framework cloudformation --compact --quiet --skip-download

# openapi.json is generated from the functions' Powertools resolvers (src/admin_token_openapi);
# tests/unit/test_openapi.py fails on drift.
openapi: install
	$(BIN)/python -m admin_token_openapi

openapi-check: install
	$(BIN)/python -m admin_token_openapi --check

unit: install
	$(BIN)/pytest tests/unit

integration: install
	$(BIN)/pytest tests/integration

e2e: install browser
	$(BIN)/pytest tests/e2e

# Every generated-input test at four times make test's budget: the hostile inputs, bulk bodies,
# findings and audit queries, schemathesis, and the HTTP barrage (12,000 requests, then the races).
SOAK_TESTS := tests/e2e/test_barrage.py tests/e2e/test_schemathesis.py $(wildcard tests/integration/*/test_hostile_*.py)
soak: install
	HOSTILE_SCALE=4 $(BIN)/pytest -n auto --dist loadfile $(SOAK_TESTS)

# bench_drain.py: one POST of 10,000 findings drained by the local worker (several minutes a run).
bench: install
	$(BIN)/python scripts/bench.py
	$(BIN)/python scripts/bench_bulk.py
	$(BIN)/python scripts/bench_github.py
	$(BIN)/python scripts/bench_drain.py

$(SAM):
	$(FLOOR_PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli

validate: $(SAM)
	$(SAM) validate --lint

build: $(SAM)
	$(SAM_BUILD_ENV) $(SAM) build

# Everything the targets, the tools and setuptools create; nothing tracked by git.
clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist .admin-token-api
	find . -path ./.git -prune -o \( -name '*.egg-info' -o -name __pycache__ \) -type d -prune -exec rm -rf {} +
