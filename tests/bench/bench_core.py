"""`make bench`: the foundation's performance targets, measured (medians of repeated runs).

Run from the project root: `.venv/bin/python tests/bench/bench_core.py [--repeats N]`. Prints a Markdown
table for the README. Figures are medians over repeats because the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hologram_lib import atlas, config, stats  # noqa: E402
from hologram_lib.baseline import baseline_document, compare_metric_sets, read_baseline, write_baseline  # noqa: E402
from hologram_lib.budgets import evaluate  # noqa: E402
from hologram_lib.perf.files import MetricResult, load_perf_dir, write_suite  # noqa: E402
from hologram_lib.perf.harness import measure  # noqa: E402
from hologram_lib.perf.suites import reference_payload  # noqa: E402
from tests.bench.results import Figure  # noqa: E402
from tests.bench.table import print_table  # noqa: E402


def harness_overhead_us() -> float:
    """Median duration the harness records for an empty callable (the loop's own cost per sample)."""
    return float(np.median(measure(lambda: None, 100_000))) * 1000.0


def p95_ms(fn, samples: int = 200, warmup: int = 5) -> float:
    return stats.quantile(stats.as_sorted(measure(fn, samples, warmup)))


def gate_and_compare_s(metrics: int = 20, samples: int = 10_000) -> float:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        base_dir, cur_dir = Path(tmp, "base"), Path(tmp, "cur")
        for directory, scale in ((base_dir, 1.0), (cur_dir, 1.05)):
            results = [
                MetricResult.one_run("core", f"m{i}_ms", scale * np.exp(0.3 * rng.standard_normal(samples)))
                for i in range(metrics)
            ]
            write_suite(directory, "core", results, "bench")
        write_baseline(Path(tmp, "baseline.json"), baseline_document(load_perf_dir(base_dir), {}))
        budgets = Path(tmp, "budgets.toml")
        budgets.write_text("[budgets]\n" + "".join(f'"core.m{i}_ms" = 5.0\n' for i in range(metrics)))
        settings = config.gate_settings("default", budgets, environ={})
        start = time.perf_counter()
        current = load_perf_dir(cur_dir)
        evaluate(current, settings)
        compare_metric_sets(read_baseline(Path(tmp, "baseline.json")), current, 10.0, settings)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    one_mib = reference_payload(1024 * 1024)
    grid_state = atlas.encode(reference_payload(atlas.GRID_CAPACITY))
    state_64k = atlas.encode(reference_payload(64 * 1024))
    rows = [
        ("harness", "harness overhead per sample (empty callable)", "≤ 2 µs", harness_overhead_us, "µs"),
        ("encode_1mib_p95", "reference encode of 1 MiB, p95 of 200", "≤ 10 ms",
         lambda: p95_ms(lambda: atlas.encode(one_mib)), "ms"),
        ("verify_grid_p95", "verify of one grid, p95 of 200", "≤ 0.2 ms",
         lambda: p95_ms(lambda: atlas.verify(grid_state)), "ms"),
        ("verify_64k_p95", "verify of a 64 KiB state (core.verify_ms), p95", "—",
         lambda: p95_ms(lambda: atlas.verify(state_64k)), "ms"),
        ("gate_compare", "gate + compare, 20 metrics × 10,000 samples (incl. reading files)", "≤ 2 s",
         gate_and_compare_s, "s"),
    ]  # fmt: skip
    figures = [
        Figure(key, label, target, [run() for _ in range(repeats)], unit) for key, label, target, run, unit in rows
    ]
    print_table(__file__, figures, repeats)


if __name__ == "__main__":
    main()
