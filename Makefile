# One entry point. `make run` and `make test` work on a fresh clone: both create .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make run PORT=3001` serves elsewhere; HOST=0.0.0.0 would expose it beyond this machine.
HOST ?= 127.0.0.1
PORT ?= 3000
# aws-sam-cli pins an older boto3, so it lives in a venv of its own, never the project's.
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
# `sam build` needs the runtime's Python (python3.13) on PATH. Under pyenv, select it for that
# command only; elsewhere a python3.13 on PATH is used as it is.
PYENV_RUNTIME := $(shell pyenv versions --bare 2>/dev/null | grep -m1 '^3\.13')
SAM_BUILD_ENV := $(if $(PYENV_RUNTIME),PYENV_VERSION=$(PYENV_RUNTIME))

.PHONY: install run test lint typecheck cfn-lint openapi openapi-check unit integration e2e bench validate build clean

install: $(STAMP)

# uv installs the same versions pip resolves, bytecode compiled as pip does, in ~11 s instead of
# ~40 s from an empty cache: `make test` on a fresh clone has a 6-minute budget. Without the
# compiled bytecode every test process compiles moto and botocore itself (a minute more CPU).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/python -m uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/admin-token-api serve --host $(HOST) --port $(PORT)

# One worker per core; a test module stays on one worker (module-scoped servers start once).
test: install lint typecheck cfn-lint
	$(BIN)/pytest -n auto --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

cfn-lint: install
	$(BIN)/cfn-lint template.yaml

# openapi.json is generated from the functions' Powertools resolvers; tests/unit/test_openapi.py fails on drift.
openapi: install
	$(BIN)/python scripts/openapi.py

openapi-check: install
	$(BIN)/python scripts/openapi.py --check

unit: install
	$(BIN)/pytest tests/unit

integration: install
	$(BIN)/pytest tests/integration

e2e: install
	$(BIN)/pytest tests/e2e

# bench_drain.py: one POST of 10,000 findings drained by the local worker (several minutes a run).
bench: install
	$(BIN)/python scripts/bench.py
	$(BIN)/python scripts/bench_bulk.py
	$(BIN)/python scripts/bench_github.py
	$(BIN)/python scripts/bench_drain.py

$(SAM):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli

validate: $(SAM)
	$(SAM) validate --lint

build: $(SAM)
	$(SAM_BUILD_ENV) $(SAM) build

# Everything the targets, the tools and setuptools create; nothing tracked by git.
clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist .admin-token-api
	find . -path ./.git -prune -o \( -name '*.egg-info' -o -name __pycache__ \) -type d -prune -exec rm -rf {} +
