# Hologram Pipeline. Every target bootstraps the project venv itself on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Go's standard install location, after the caller's PATH: a non-login shell (CI's) may not list it, and the
# one-off Kubo build needs it (see `kubo` below).
export PATH := $(PATH):/usr/local/go/bin

.PHONY: report collect check test gate lab bench pictures soak lint venv clean stack stack-down chromium kubo valgrind

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/hologram kernel
	touch $@

# The history page's charting library (uPlot, inlined into reports/history.html), from the committed lockfile.
CHARTLIB := hologram_lib/report/chartlib
CHARTLIB_STAMP := $(CHARTLIB)/node_modules/.package-lock.json
$(CHARTLIB_STAMP): $(CHARTLIB)/package-lock.json
	cd $(CHARTLIB) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Collect (perf suites + E2E probe), execute the notebooks, render reports/index.html and print the verdict.
# Exits 0 whenever the report was written, whatever the verdict (the hard gate is `make gate`).
# With IPFS_API / GRAPHQL_URL unset, the embedded stack serves them for the run and is stopped afterwards.
# The core suite is also counted under callgrind (HOLOGRAM_MEASURE=auto: wall clock alone, said in one line, when
# valgrind cannot be had).
report: $(STAMP) $(CHARTLIB_STAMP) valgrind
	@[ -n "$$IPFS_API" ] || $(BIN)/hologram stack kubo
	HOLOGRAM_MEASURE=$${HOLOGRAM_MEASURE:-auto} $(BIN)/hologram report

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

# The embedded IPFS node is Kubo: HOLOGRAM_KUBO, else `ipfs` on PATH (Kubo >= 0.30), else the cached build, else a
# one-off build with Go of the version pinned in hologram_lib/devstack/kubo-build/go.mod (progress on stderr).
kubo: $(STAMP)
	$(BIN)/hologram stack kubo

# The browser test drives Debian's Chromium (installed here when missing; root or sudo needed once).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

# Counted measurements run the core suite under Debian's valgrind (installed here when missing, like Chromium).
valgrind:
	@command -v valgrind >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq valgrind; } || \
		echo "valgrind could not be installed: counted measurements are off, the wall clock alone judges"

# The fast lane for the inner loop (docs/testing.md): lint, types and the tests that run in the pytest process alone —
# no dev stack, notebook, browser or process of the product (the CLI, a measuring worker) — and are not slow.
# tests/lanes.py marks the others (from the fixtures and helpers they use, or by hand) and fails a test of this lane
# that starts one of those. Needs no Kubo, npm, Chromium or valgrind.
# `make test` below stays the whole suite (CI runs it).
FAST_LANE := not stack and not notebook and not browser and not process and not slow
check: $(STAMP)
	$(BIN)/ruff check hologram_lib tests scripts notebooks
	$(BIN)/ruff format --check hologram_lib tests scripts
	$(BIN)/mypy
	HOLOGRAM_PERF_DIR=reports/test-run/perf HOLOGRAM_EVENTS=reports/test-run/e2e/events.jsonl \
		$(BIN)/python -m pytest -q -m "$(FAST_LANE)"

# The seed's phase6 / phase8 tests write where a report would; under `make test` they write to reports/test-run/
# so that a test run never replaces the data of your last `make report` (tests/conftest.py defaults to the same, and
# fails the session if the checkout's .history/ or reports/ outside reports/test-run/ changed).
test: $(STAMP) $(CHARTLIB_STAMP) chromium valgrind kubo
	$(BIN)/ruff check hologram_lib tests scripts notebooks
	$(BIN)/mypy
	HOLOGRAM_PERF_DIR=reports/test-run/perf HOLOGRAM_EVENTS=reports/test-run/e2e/events.jsonl $(BIN)/python -m pytest

# The parsers fuzzed far longer than `make test` does (hypothesis examples per parser), the renderers with hostile
# text checked in Chromium (≈2 s an example), then the marketplace under Locust load (50 users, 30 s, fresh embedded
# stack): exit 1 on a lost publish or any 5xx.
soak: $(STAMP) chromium
	HOLOGRAM_FUZZ_EXAMPLES=20000 $(BIN)/python -m pytest tests/test_fuzz_parsers.py
	HOLOGRAM_FUZZ_EXAMPLES=1000 $(BIN)/python -m pytest tests/test_render_fuzz.py
	$(BIN)/python tests/load_marketplace.py --users 50 --spawn-rate 10 --run-time 30s

# Benchmarks append to a store of their own (a temporary folder), never the checkout's .history/. Each script prints
# its table and records its figures in docs/bench/results.json, where the docs quote them from (docs/benchmarks.md).
bench: export HOLOGRAM_HISTORY = $(shell mktemp -d)/history.duckdb
bench: $(STAMP) $(CHARTLIB_STAMP) valgrind
	$(BIN)/python tests/bench/bench_runs.py
	$(BIN)/python tests/bench/bench_core.py
	$(BIN)/python tests/bench/bench_stack.py
	$(BIN)/python tests/bench/bench_report.py
	$(BIN)/python tests/bench/bench_history.py
	$(BIN)/python tests/bench/bench_counted.py
	$(BIN)/python tests/bench/bench_bisect.py
	$(BIN)/python tests/bench/bench_cli.py
	$(BIN)/python tests/bench/bench_check.py

# The docs' screenshots (docs/*.png) taken again from real reports against the embedded stack, in a temporary folder.
pictures: $(STAMP) $(CHARTLIB_STAMP) chromium kubo
	$(BIN)/python tests/bench/pictures.py

lint: $(STAMP)
	$(BIN)/ruff check hologram_lib tests scripts notebooks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo --no-cache
	$(BIN)/ruff format --check hologram_lib tests scripts

clean:
	-$(BIN)/hologram stack down
	rm -rf $(VENV) reports/perf reports/e2e .stack
