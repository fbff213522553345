"""`make bench`: the report's targets — notebooks executed + rendered, the whole `make report`, perf_analysis
over 1,000,000 raw samples, and the size of the report folder.

Run from the project root: `.venv/bin/python tests/bench/bench_report.py [--repeats N]`; medians of repeats.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hologram_lib.perf.files import MetricResult, write_suite  # noqa: E402
from tests.bench.results import Figure  # noqa: E402
from tests.bench.table import print_table  # noqa: E402

HOLOGRAM = str(Path(sys.executable).with_name("hologram"))


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def million_samples(reports: Path) -> None:
    rng = np.random.default_rng(1)
    results = [MetricResult.one_run("core", f"m{i}_ms", np.exp(0.3 * rng.standard_normal(250_000))) for i in range(4)]
    write_suite(reports / "perf", "core", results, "bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats
    rows: dict[str, list[float]] = {"render": [], "make_report": [], "million": [], "size": []}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            reports = Path(tmp, "reports")
            rows["make_report"].append(
                timed([HOLOGRAM, "report", "--reports-dir", str(reports), "--state-dir", str(Path(tmp, "stack"))], ROOT)
            )
            rows["size"].append(folder_mb(reports))
            rows["render"].append(timed([HOLOGRAM, "report", "--no-collect", "--reports-dir", str(reports)], ROOT))
        with tempfile.TemporaryDirectory() as tmp:
            reports = Path(tmp, "reports")
            million_samples(reports)
            rows["million"].append(timed([HOLOGRAM, "report", "--no-collect", "--reports-dir", str(reports)], ROOT))
    table = [
        Figure("render", "notebooks executed + rendered + index (data already collected)", "≤ 8 s", rows["render"],
               "s"),
        Figure("make_report", "whole `hologram report` (= `make report`, warm venv, embedded stack)", "≤ 45 s",
               rows["make_report"], "s"),
        Figure("million", "report over 1,000,000 raw samples (4 metrics × 250,000)", "≤ 15 s", rows["million"], "s"),
        Figure("size", "report folder size after `make report`", "≤ 3 MB", rows["size"], "MB"),
    ]  # fmt: skip
    print_table(__file__, table, repeats)


if __name__ == "__main__":
    main()
