"""`make bench`: what measuring in separate process runs costs, and the run-level statistics' speed.

Run from the project root: `.venv/bin/python tests/bench/bench_runs.py [--repeats N]`. Targets from the issue:
`perf collect --runs 10` of the core suite ≤ 15 s; `ab --runs 10` of the core suite ≤ 40 s; compare_runs on
20 metrics × 30 runs × 1,000 samples ≤ 1 s; process start-up per run measured (the price of honesty).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hologram_lib.drift import compare_run_sets  # noqa: E402
from tests.bench.results import Figure  # noqa: E402
from tests.bench.table import print_table  # noqa: E402

HOLOGRAM = [sys.executable, "-m", "hologram_lib.cli"]


def timed(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr[-500:]}")
    return time.perf_counter() - start, done.stdout


def collect_core_s(tmp: Path) -> tuple[float, float]:
    """Wall seconds of `perf collect --runs 10 --suite core`, and the median start-up per run it reports (ms)."""
    seconds, out = timed([*HOLOGRAM, "perf", "collect", "--suite", "core", "--runs", "10", "--max-runs", "10",
                          "--perf-dir", str(tmp / "perf")])  # fmt: skip
    startup = re.search(r"(\d+) ms start-up per run", out)
    return seconds, float(startup.group(1)) if startup else float("nan")


def ab_core_s(tmp: Path) -> float:
    return timed([*HOLOGRAM, "ab", "--base", "HEAD", "--runs", "10", "--perf-dir", str(tmp / "ab")])[0]


def compare_runs_s(metrics: int = 20, runs: int = 30, samples: int = 1000) -> float:
    rng = np.random.default_rng(0)

    def side() -> list[np.ndarray]:
        return [np.sort(np.exp(0.1 * rng.standard_normal() + 0.3 * rng.standard_normal(samples))) for _ in range(runs)]

    pairs = {f"core.m{i}_ms": (side(), side()) for i in range(metrics)}
    start = time.perf_counter()
    compare_run_sets(pairs, 10.0, paired=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    collect, startup, ab, compare = [], [], [], []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            seconds, ms = collect_core_s(Path(tmp))
            collect.append(seconds)
            startup.append(ms)
            ab.append(ab_core_s(Path(tmp)))
        compare.append(compare_runs_s())
    print_table(
        __file__,
        [
            Figure("collect", "`perf collect --runs 10 --suite core` (10 processes, 2 metrics × 200 samples each)",
                   "≤ 15 s", collect, "s"),
            Figure("startup", "process start-up per run (interpreter + imports, median of the 10 runs)", "small",
                   startup, "ms"),
            Figure("ab", "`ab --runs 10` of the core suite (20 processes + a git worktree)", "≤ 40 s", ab, "s"),
            Figure("compare_runs", "compare_runs: 20 metrics × 30 runs × 1,000 samples per side", "≤ 1 s", compare,
                   "s"),
        ],
        args.repeats,
    )  # fmt: skip


if __name__ == "__main__":
    main()
