"""`make bench`: the history store's targets — append one run, change points over 10 metrics × 1,000 runs, the
report with 5,000 runs of history, the store's size for 10,000 runs × 20 metrics, and the history page
(reports/history.html) over 1,000 runs × 20 metrics on two machines: its build, its size, its load in Chromium.

Run from the project root: `.venv/bin/python tests/bench/bench_history.py [--repeats N] [--page-only]`; medians of
repeats.
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


def runs(
    first: int, count: int, metrics: int, rng: np.random.Generator, machines: tuple[str, ...] = ("Linux",)
) -> list[RunRecord]:
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
        machine = machines[i % len(machines)]
        found.append(RunRecord(run_id, when, commit, "main", "main", "runner-1", machine, True, knobs, "bench", rows))
    return found


def filled(store: Path, count: int, metrics: int, machines: tuple[str, ...] = ("Linux",)) -> Path:
    rng = np.random.default_rng(1)
    for first in range(0, count, 1000):
        add_runs(store, runs(first, min(1000, count - first), metrics, rng, machines))
    return store


def page_build_s(store: Path, out: Path) -> float:
    """The history page as the report builds it (in process: read, change points, render, write)."""
    from hologram_lib.report.history_page import write_history_page

    start = time.perf_counter()
    write_history_page(out, store)
    return time.perf_counter() - start


def page_command_s(store: Path, out: Path) -> float:
    """`hologram history page` as a person runs it (a new process: imports included)."""
    start = time.perf_counter()
    subprocess.run([HOLOGRAM, "history", "page", "--store", str(store), "--out", str(out)], check=True,
                   capture_output=True, cwd=ROOT)  # fmt: skip
    return time.perf_counter() - start


def page_load_s(page: Path, repeats: int) -> list[float]:
    """Headless Chromium (Debian's, as tests/test_browser.py launches it): navigation until every chart is drawn."""
    from playwright.sync_api import sync_playwright

    from tests.chromium import CHROMIUM, FLAGS

    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for _ in range(repeats):
            tab = browser.new_page(viewport={"width": 1200, "height": 900})
            start = time.perf_counter()
            tab.goto(page.as_uri())
            tab.wait_for_selector("body[data-ready=yes]")
            times.append(time.perf_counter() - start)
            tab.close()
        browser.close()
    return times


def page_rows(tmp: Path, repeats: int) -> list[tuple[str, str, list[float], str]]:
    store = filled(tmp / "page.duckdb", 1000, 20, ("Linux x86_64 2×Xeon", "Linux aarch64 4×Neoverse-N1"))
    out = tmp / "history.html"
    build = [page_build_s(store, out) for _ in range(repeats)]
    command = [page_command_s(store, tmp / "history-cli.html") for _ in range(repeats)]
    return [
        ("history page, 1,000 runs × 20 metrics × 2 machines: build (read, change points, render, write)", "≤ 2 s",
         build, "s"),
        ("the same as `hologram history page` (a new process, imports included)", "—", command, "s"),
        ("history page size (uPlot inlined)", "≤ 1.5 MB", [out.stat().st_size / 1e6], "MB"),
        ("history page load in headless Chromium until its 20 charts are drawn", "≤ 2 s",
         page_load_s(out, repeats), "s"),
    ]  # fmt: skip


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
    parser.add_argument("--page-only", action="store_true", help="only the history page's rows")
    args = parser.parse_args()
    repeats = args.repeats
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if args.page_only:
            print_table(page_rows(tmp, repeats), repeats)
            return
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
            ("of which the history page (newest 2,000 of the 5,000 runs, 5 metrics), in process", "—",
             [page_build_s(history, tmp / "report-page.html") for _ in range(repeats)], "s"),
            ("time the 5,000 runs add to the report (medians)", "≤ 2 s",
             [statistics.median(full) - statistics.median(empty)], "s"),
            ("store file, 10,000 runs × 20 metrics", "≤ 50 MB", [size_mb], "MB"),
            *page_rows(tmp, repeats),
        ]  # fmt: skip
        print_table(rows, repeats)


if __name__ == "__main__":
    main()
