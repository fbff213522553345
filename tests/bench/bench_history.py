"""`make bench`: the history store's targets — append one run, change points over 10 metrics × 1,000 runs, the
report with 5,000 runs of history, and the store's size for 10,000 runs × 20 metrics.

Run from the project root: `.venv/bin/python tests/bench/bench_history.py [--repeats N]`; medians of repeats.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hologram_lib.history import change_points  # noqa: E402
from hologram_lib.history.records import MetricRow, RunRecord  # noqa: E402
from hologram_lib.history.store import add_runs  # noqa: E402
from hologram_lib.perf.files import MetricResult, write_suite  # noqa: E402
from tests.bench.table import print_table  # noqa: E402

HOLOGRAM = str(Path(sys.executable).with_name("hologram"))
START = datetime(2026, 1, 1)


def runs(first: int, count: int, metrics: int, rng: np.random.Generator) -> list[RunRecord]:
    """Runs as reports write them: every metric's statistics, provenance, knobs."""
    found = []
    for i in range(first, first + count):
        level = np.exp(0.05 * rng.standard_normal(metrics))
        rows = tuple(
            MetricRow(f"suite.metric_{m:02d}_ms", 10, 2000, float(level[m]), float(level[m] * 1.4),
                      float(level[m] * 1.7), float(level[m] * 1.05), float(level[m]), float(level[m] * 1.35), 0.05)
            for m in range(metrics)
        )  # fmt: skip
        when = START + timedelta(minutes=i)
        commit = f"{rng.integers(1 << 62):040x}"
        knobs = '{"ENC_MB": 1, "samples": 200}'
        run_id = f"{when:%Y%m%dT%H%M%SZ}-{i:06x}"
        found.append(RunRecord(run_id, when, commit, "main", "main", "runner-1", "Linux", True, knobs, "bench", rows))
    return found


def filled(store: Path, count: int, metrics: int) -> Path:
    rng = np.random.default_rng(1)
    for first in range(0, count, 1000):
        add_runs(store, runs(first, min(1000, count - first), metrics, rng))
    return store


def append_ms(tmp: Path, repeats: int) -> list[float]:
    store = filled(tmp / "append.duckdb", 1000, 20)
    rng = np.random.default_rng(2)
    times = []
    for i in range(repeats * 5):
        run = runs(100_000 + i, 1, 20, rng)
        start = time.perf_counter()
        add_runs(store, run)
        times.append((time.perf_counter() - start) * 1000)
    return times


def change_point_s(*, steps: bool) -> float:
    """10 series of 1,000 runs: noise only, or 20 levels 3 % apart (19 shifts, the worst case we know of)."""
    rng = np.random.default_rng(3)
    levels = np.repeat(np.log(1.03) * np.arange(20), 50) if steps else np.zeros(1000)
    series = [np.exp(levels + 0.05 * rng.standard_normal(1000)) for _ in range(10)]
    start = time.perf_counter()
    for values in series:
        change_points(values)
    return time.perf_counter() - start


def report_s(tmp: Path, store: Path) -> float:
    reports = tmp / "reports"
    rng = np.random.default_rng(4)
    results = [
        MetricResult("suite", f"metric_{m:02d}_ms", tuple(np.exp(0.1 * rng.standard_normal(200)) for _ in range(10)))
        for m in range(5)
    ]
    write_suite(reports / "perf", "suite", results, "bench")
    budgets = tmp / "budgets.toml"
    budgets.write_text("[budgets]\n" + "".join(f'"suite.metric_{m:02d}_ms" = 3\n' for m in range(5)))
    env = {**os.environ, "HOLOGRAM_HISTORY": str(store), "HOLOGRAM_BUDGETS": str(budgets)}
    start = time.perf_counter()
    subprocess.run([HOLOGRAM, "report", "--no-collect", "--reports-dir", str(reports)], env=env, check=True,
                   capture_output=True, cwd=ROOT)  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        big = filled(tmp / "big.duckdb", 10_000, 20)
        size_mb = big.stat().st_size / 1e6
        history = filled(tmp / "history.duckdb", 5_000, 5)
        empty = [report_s(tmp / f"e{i}", tmp / f"none{i}.duckdb") for i in range(repeats)]
        full = [report_s(tmp / f"h{i}", history) for i in range(repeats)]
        rows = [
            ("append one run (20 metrics) to a store of 1,000 runs", "≤ 100 ms", append_ms(tmp, repeats), "ms"),
            ("change points, 10 metrics × 1,000 runs, noise only", "≤ 5 s",
             [change_point_s(steps=False) for _ in range(repeats)], "s"),
            ("change points, 10 metrics × 1,000 runs, 19 shifts each", "≤ 5 s",
             [change_point_s(steps=True) for _ in range(repeats)], "s"),
            ("report --no-collect, 5 budgeted metrics, empty history", "—", empty, "s"),
            ("the same with 5,000 runs of history (front page + the notebook's full trends)", "—", full, "s"),
            ("time the 5,000 runs add to the report (medians)", "≤ 2 s",
             [statistics.median(full) - statistics.median(empty)], "s"),
            ("store file, 10,000 runs × 20 metrics", "≤ 50 MB", [size_mb], "MB"),
        ]  # fmt: skip
        print_table(rows, repeats)


if __name__ == "__main__":
    main()
