# civic311 — `make help` lists the targets.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/python -m pip
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test]'
	@if [ -f package.json ]; then npm ci --no-audit --no-fund --silent; fi
	$(PY) -m civic311.translations_build
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install civic311 with its test tools

demo: install ## Seed the demo cities (first run) and serve them on http://localhost:5000
	$(VENV)/bin/civic311 demo

test: install ## Run the whole suite: SQLite first, then PostgreSQL + Redis
	bash infra/test.sh

test-fast: install ## The suite on SQLite only
	$(PY) -m pytest -q -n 2

lint: install ## ruff and the import-linter layer contracts
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench-intake: install ## Intake throughput vs a bare insert endpoint (PostgreSQL + Redis)
	bash bench/run_intake.sh

bench-open311: install ## Open311 list/get vs bare endpoints at 100k and 1M rows
	bash bench/run_open311.sh

.PHONY: help install demo test test-fast lint bench-intake bench-open311
