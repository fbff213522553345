# Hologram Pipeline. Every target bootstraps the project venv itself on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: report test gate bench lint venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Collect perf data and print the verdicts; exits 0 whatever the verdict (the gate is `make gate`).
report: $(STAMP)
	$(BIN)/hologram perf collect
	-$(BIN)/hologram gate --json reports/perf/gate.json

test: $(STAMP)
	$(BIN)/ruff check hologram_lib tests scripts
	$(BIN)/python -m pytest

gate: $(STAMP)
	$(BIN)/hologram gate --json reports/perf/gate.json

bench: $(STAMP)
	$(BIN)/python tests/bench/bench_core.py

lint: $(STAMP)
	$(BIN)/ruff check hologram_lib tests scripts
	$(BIN)/ruff format --check hologram_lib tests scripts

clean:
	rm -rf $(VENV) reports/perf reports/e2e
