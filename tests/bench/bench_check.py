"""`make bench`: what the fast lane (`make check`) costs — lint, types and the in-process tests — against its target.

Run from the project root: `.venv/bin/python tests/bench/bench_check.py [--repeats N]`. Each repeat runs the steps of
`make check` as the Makefile has them (its FAST_LANE selection read from the Makefile, so the two cannot differ); the
venv is already there, so a repeat is the inner loop a developer waits for. Medians of repeats: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.results import Figure  # noqa: E402
from tests.bench.table import print_table  # noqa: E402

BIN = Path(sys.executable).parent


def fast_lane() -> str:
    """The `-m` expression `make check` runs (the Makefile's FAST_LANE)."""
    found = re.search(r"^FAST_LANE := (.+)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)
    if found is None:
        raise SystemExit("Makefile: expected a line `FAST_LANE := …`")
    return found.group(1).strip()


def timed_s(command: list[str], env: dict[str, str], *, failures_count: bool = False) -> float:
    """Seconds the command took; it must succeed — except a test run (`failures_count`), whose failed tests are said
    and still timed: the docs' own test fails until this script has recorded its first figures."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if failures_count and done.returncode == 1:
        print(f"timed, with failures: {done.stdout.strip().splitlines()[-1]}")
    elif done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds


def one_check(lane: str) -> tuple[float, float]:
    """(the whole `make check`, its pytest step) in seconds."""
    env = {
        **os.environ,
        "HOLOGRAM_PERF_DIR": "reports/test-run/perf",
        "HOLOGRAM_EVENTS": "reports/test-run/e2e/events.jsonl",
    }
    lint = timed_s([str(BIN / "ruff"), "check", "hologram_lib", "tests", "scripts", "notebooks"], env)
    lint += timed_s([str(BIN / "ruff"), "format", "--check", "hologram_lib", "tests", "scripts"], env)
    types = timed_s([str(BIN / "mypy")], env)
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", lane]
    tests = timed_s(pytest, env, failures_count=True)
    return lint + types + tests, tests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats
    lane = fast_lane()
    runs = [one_check(lane) for _ in range(repeats)]
    whole = Figure("make_check", "`make check`: ruff, mypy --strict and the fast lane's tests", "≤ 90 s",
                   [whole for whole, _ in runs], "s")  # fmt: skip
    tests = Figure("fast_lane_tests", "its pytest step alone (collection included)", "—",
                   [tests for _, tests in runs], "s")  # fmt: skip
    print_table(__file__, [whole, tests], repeats)


if __name__ == "__main__":
    main()
