# Every target bootstraps .venv itself, so `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
MODE   ?= inprocess

.PHONY: install run run-fleet test lint typecheck format acceptance browser bench fuzz soak clean help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@echo "Installing the project and its dev extras into $(VENV) (about a minute the first time)..."
	$(PY) -m pip install --progress-bar on -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with its dev extras

run: $(STAMP) ## the sandbox: both mocks (seeded) and the sync daemon; Ctrl-C stops everything
	$(PY) -m sandbox

run-fleet: $(STAMP) ## the fleet sandbox: mocks + 3 tasksync workers on PostgreSQL (TASKSYNC_PG_URL) sharing 30 reps
	$(PY) -m sandbox.fleet

test: $(STAMP) ## every test: unit, contract, integration, features (both modes), lint, types
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m pytest -q

lint: $(STAMP) ## ruff
	$(PY) -m ruff check .

typecheck: $(STAMP) ## mypy --strict on tasksync_common, the pytest plugin, mock_sia.inprocess and the engine sync/ ([tool.mypy])
	$(PY) -m mypy

format: $(STAMP) ## ruff format + fix imports
	$(PY) -m ruff check --fix --select I .
	$(PY) -m ruff format .

acceptance: $(STAMP) ## only the features; writes reports/acceptance.html and reports/cucumber.json (MODE=servers for real HTTPS servers)
	$(PY) -m pytest -q tests/test_features.py --mode=$(MODE) --cucumberjson=reports/cucumber.json --acceptance-html=reports/acceptance.html

fuzz: $(STAMP) ## a longer, random fuzz campaign on both mocks (FUZZ_EXAMPLES=N per suite/operation)
	FUZZ_RANDOM=1 FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-20000} $(PY) -m pytest -q -p no:randomly tests/fuzz/test_fuzz_salesforce.py
	FUZZ_RANDOM=1 FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-100} $(PY) -m pytest -q -p no:randomly tests/fuzz/test_fuzz_sia_schemathesis.py

browser: $(STAMP) ## only the browser tests (Playwright + the system's Chromium); screenshots in reports/
	$(PY) -m pytest -q tests/browser

bench: $(STAMP) ## benchmarks that print figures (with progress lines)
	$(PY) -m benchmarks

soak: $(STAMP) ## the long real-process campaigns: 120 kill -9s of the engine, two engines for a minute (figures printed)
	TASKSYNC_CRASH_KILLS=120 TASKSYNC_CRASH_KILLS_PG=40 TASKSYNC_CRASH_TASKS=1000 TASKSYNC_CRASH_BULK=400 TASKSYNC_TWO_WORKERS_SECONDS=60 \
		$(PY) -m pytest -q -s -p no:randomly tests/processes

clean: ## remove .venv, reports and caches
	rm -rf $(VENV) reports .pytest_cache .ruff_cache *.egg-info
