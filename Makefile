# Hologram Pipeline. Every target bootstraps the project venv itself on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: report collect test gate lab bench soak lint venv clean stack stack-down chromium

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/hologram kernel
	touch $@

# Collect (perf suites + E2E probe), execute the notebooks, render reports/index.html and print the verdict.
# Exits 0 whenever the report was written, whatever the verdict (the hard gate is `make gate`).
# With IPFS_API / GRAPHQL_URL unset, the embedded stack serves them for the run and is stopped afterwards.
report: $(STAMP)
	$(BIN)/hologram report

# The hard gate for CI: budgets + baseline drift + the latest E2E run; exit 1 when any fails.
gate: $(STAMP)
	$(BIN)/hologram verdict --json reports/verdict.json

# Triage: JupyterLab serving the project root with perf_analysis open (notebooks/ beside it in the file browser),
# kernels from the project venv (kernel `hologram`); paths in the notebooks resolve from the root, so a re-run
# with another parameter reads the same reports/ as `make gate`. --allow-root only when run as root (a container).
# LAB_FLAGS passes more options, e.g. `make lab LAB_FLAGS="--no-browser --port 8899"`.
LAB_FLAGS ?=
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
lab: $(STAMP)
	$(BIN)/hologram kernel
	$(BIN)/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks/perf_analysis.ipynb \
		$(ALLOW_ROOT) $(LAB_FLAGS)

# The measurements alone, against whatever IPFS_API / GRAPHQL_URL point at (a failure is reported, not fatal).
collect: $(STAMP)
	-$(BIN)/hologram perf collect
	-$(BIN)/hologram e2e probe

# Start the embedded IPFS node + GraphQL marketplace and print the export lines (`make stack-down` stops it).
stack: $(STAMP)
	$(BIN)/hologram stack up

stack-down: $(STAMP)
	$(BIN)/hologram stack down

# The browser test drives Debian's Chromium (installed here when missing; root or sudo needed once).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

# The seed's phase6 / phase8 tests write where a report would; under `make test` they write to reports/test-run/
# so that a test run never replaces the data of your last `make report` (tests/conftest.py defaults to the same, and
# fails the session if the checkout's .history/ or reports/ outside reports/test-run/ changed).
test: $(STAMP) chromium
	$(BIN)/ruff check hologram_lib tests scripts notebooks
	$(BIN)/mypy
	HOLOGRAM_PERF_DIR=reports/test-run/perf HOLOGRAM_EVENTS=reports/test-run/e2e/events.jsonl $(BIN)/python -m pytest

# The parsers fuzzed far longer than `make test` does (hypothesis examples per parser), then the marketplace under
# Locust load (50 users, 30 s, fresh embedded stack): exit 1 on a lost publish or any 5xx.
soak: $(STAMP)
	HOLOGRAM_FUZZ_EXAMPLES=20000 $(BIN)/python -m pytest tests/test_fuzz_parsers.py
	$(BIN)/python tests/load_marketplace.py --users 50 --spawn-rate 10 --run-time 30s

# Benchmarks append to a store of their own (a temporary folder), never the checkout's .history/.
bench: export HOLOGRAM_HISTORY = $(shell mktemp -d)/history.duckdb
bench: $(STAMP)
	$(BIN)/python tests/bench/bench_runs.py
	$(BIN)/python tests/bench/bench_core.py
	$(BIN)/python tests/bench/bench_stack.py
	$(BIN)/python tests/bench/bench_report.py
	$(BIN)/python tests/bench/bench_history.py

lint: $(STAMP)
	$(BIN)/ruff check hologram_lib tests scripts notebooks
	$(BIN)/mypy
	$(BIN)/ruff format --check hologram_lib tests scripts

clean:
	-$(BIN)/hologram stack down
	rm -rf $(VENV) reports/perf reports/e2e .stack
