"""Wall-clock p95 vs thread-CPU p95 of unchanged code under changing load: which can an in-process budget trust?

Run from the project root: `.venv/bin/python tests/bench/bench_cpu_budget.py [--collects 6] [--runs 5]`.
Every second collect (`hologram perf collect --suite core`) runs beside two extra busy processes. For each metric it
prints the p95 per collect for the wall clock and for the thread CPU time, their spread (max / min), and how many
collects would fail a budget of 1.25 × the median p95 (unchanged code: every failure is a false one).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hologram_lib.perf.files import load_perf_dir  # noqa: E402
from tests.bench.results import Figure  # noqa: E402
from tests.bench.table import print_table  # noqa: E402

BUSY = "while True: pass"


def collect(perf_dir: Path, runs: int, busy: bool) -> dict[str, float]:
    spinners = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(2 if busy else 0)]
    try:
        command = [sys.executable, "-m", "hologram_lib.cli", "perf", "collect", "--suite", "core", "--runs",
                   str(runs), "--max-runs", str(runs), "--perf-dir", str(perf_dir)]  # fmt: skip
        subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    return {key: data.p95_ms for key, data in load_perf_dir(perf_dir).items() if data.p95_ms is not None}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--collects", type=int, default=6)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cpu-") as scratch:
        p95s = [collect(Path(scratch) / f"p{i}", args.runs, busy=i % 2 == 1) for i in range(args.collects)]
    figures = []
    for key in sorted(p95s[0]):
        if not key.endswith("_ms"):
            continue
        values = [p[key] for p in p95s if key in p]
        budget = 1.25 * statistics.median(values)
        print(f"{key}: p95 per collect (ms; every 2nd busy): " + ", ".join(f"{v:.3g}" for v in values))
        figures += [
            Figure(f"{key}.spread", f"{key}: p95 max / min over {len(values)} collects (every 2nd busy)", "—",
                   [max(values) / min(values)], "×"),
            Figure(f"{key}.fails", f"{key}: collects failing a budget of 1.25 × the median p95", "—",
                   [sum(v > budget for v in values)], ""),
        ]  # fmt: skip
    print_table(__file__, figures, args.collects)


if __name__ == "__main__":
    main()
