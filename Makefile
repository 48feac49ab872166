# Every target bootstraps .venv itself, so `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
MODE   ?= inprocess

.PHONY: install run test lint format acceptance bench clean help run-fleet

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with its dev extras

run: $(STAMP) ## the sandbox: both mocks (seeded) and the sync daemon; Ctrl-C stops everything
	$(PY) -m sandbox

run-fleet: $(STAMP) ## the fleet sandbox: mocks + 3 tasksync workers on PostgreSQL (TASKSYNC_PG_URL) sharing 30 reps
	$(PY) -m sandbox.fleet

test: $(STAMP) ## every test: unit, contract, integration, features (both modes), lint
	$(PY) -m ruff check .
	$(PY) -m pytest -q

lint: $(STAMP) ## ruff
	$(PY) -m ruff check .

format: $(STAMP) ## ruff format + fix imports
	$(PY) -m ruff check --fix --select I .
	$(PY) -m ruff format .

acceptance: $(STAMP) ## only the features; writes reports/acceptance.html and reports/cucumber.json (MODE=servers for real HTTPS servers)
	$(PY) -m pytest -q tests/test_features.py --mode=$(MODE) --cucumberjson=reports/cucumber.json --acceptance-html=reports/acceptance.html

bench: $(STAMP) ## benchmarks that print figures
	$(PY) -m benchmarks

clean: ## remove .venv, reports and caches
	rm -rf $(VENV) reports .pytest_cache .ruff_cache *.egg-info
