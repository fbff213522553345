"""One current run against a baseline of runs, on real runs: how often the prediction-interval rule (drift.run_evidence
with stats.predict_run_logs, the session term included) calls unchanged code `regressed`, and how often it catches
a real slow-down. Data: the real-noise study (tests/data/real_noise, 30 processes per condition).

Run `python -m tests.one_run_noise` to print the figures the README quotes.
"""

from __future__ import annotations

import numpy as np

from hologram_lib.drift import SEPARATE_SESSIONS, RunLogs, compare_log_sets
from tests.real_noise import ENCODE, VERIFY, runs

BASELINE_RUNS = 10


def one_run_rate(base: str, current: str, metric: str, trials: int, seed: int = 0) -> float:
    """Share of random draws (10 baseline runs of `base`, 1 other run of `current`) called `regressed`."""
    rng = np.random.default_rng(seed)
    base_runs, cur_runs = runs(base, metric), runs(current, metric)
    hits = 0
    for _ in range(trials):
        order = rng.permutation(len(base_runs))
        chosen, other = order[:BASELINE_RUNS], order[BASELINE_RUNS]
        current_run = base_runs[other] if base == current else cur_runs[int(rng.integers(len(cur_runs)))]
        pair = (RunLogs.of([base_runs[i] for i in chosen]), RunLogs.of([current_run]))
        result = compare_log_sets({metric: pair}, 10.0, paired=False, sessions={metric: SEPARATE_SESSIONS})
        hits += result[metric].status == "regressed"
    return hits / trials


def table(trials: int = 2000) -> list[str]:
    out = ["| metric | 1 current run vs 10 baseline runs | share `regressed` |", "|---|---|---|"]
    for metric in (VERIFY, ENCODE):
        out.append(f"| `{metric}` | unchanged (A vs A) | {100 * one_run_rate('A', 'A', metric, trials):.2f} % |")
    for condition, what in (("M20", "every encode ×1.2"), ("M50", "every encode ×1.5")):
        rate = one_run_rate("A", condition, ENCODE, trials)
        out.append(f"| `{ENCODE}` | {what} | {100 * rate:.1f} % |")
    return out


if __name__ == "__main__":
    print("\n".join(table()))
