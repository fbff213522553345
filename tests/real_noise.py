"""The verdicts' error rates on real runs: random draws from `../shared/data/real-noise/` (30 processes per condition).

Run `python -m tests.real_noise` to print the table the README quotes. Conditions: A (reference codec), W0 (the same
code through a wrapper), M10/M20/M50 (every encode × 1.1/1.2/1.5), D20 (encode + a constant 20 % of its median),
T50 (10 % of encodes × 1.5: tail only), G (graphql + ipfs against the embedded stack). Run i of every condition ran
in the same round i, so A vs W0 with the same run numbers is a real interleaved pairing.
"""

from __future__ import annotations

import gzip
import tempfile
from functools import cache
from pathlib import Path

import numpy as np

from hologram_lib.budgets import check_budget_runs
from hologram_lib.drift import compare_runs
from hologram_lib.perf.files import read_samples
from hologram_lib.stats import pooled_quantile

# A copy of the real-noise study's rounds 1–30 (gzipped), so that CI on a fresh clone tests on the same data.
DATA_DIR = Path(__file__).resolve().parent / "data" / "real_noise"
ENCODE, VERIFY = "core.encode_1MB_ms", "core.verify_ms"
SERVICES = ("graphql.resolve_ms", "ipfs.add_ms", "ipfs.cat_ms")
RUNS_PER_SIDE = 10


@cache
def runs(condition: str, metric: str) -> tuple[np.ndarray, ...]:
    """The condition's runs of one metric, in run order. The files are `run,metric,sample_ms`: read through the
    product's own reader by giving them the suite column it expects."""
    text = gzip.decompress((DATA_DIR / f"{condition}.csv.gz").read_bytes()).decode()
    lines = text.strip().split("\n")
    rows = ["suite,metric,run,sample_ms"] + [
        f"{m.split('.', 1)[0]},{m.split('.', 1)[1]},{r},{v}" for r, m, v in (line.split(",") for line in lines[1:])
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{condition}.csv"
        path.write_text("\n".join(rows) + "\n")
        found = read_samples(path)
    return tuple(found[metric][1]) if metric in found else ()


def drift_rate(
    base: str, current: str, metric: str, trials: int, *, paired: bool = False, k: int = RUNS_PER_SIDE, seed: int = 0
) -> float:
    """Share of random draws of k runs per side that compare_runs calls `regressed`. The same condition on both
    sides draws disjoint runs (A/A); paired draws use the same round numbers on both sides."""
    rng = np.random.default_rng(seed)
    base_runs, cur_runs = runs(base, metric), runs(current, metric)
    hits = 0
    for _ in range(trials):
        if base == current:
            order = rng.permutation(len(base_runs))
            b, c = order[:k], order[k : 2 * k]
        else:
            b = rng.choice(len(base_runs), k, replace=False)
            c = b if paired else rng.choice(len(cur_runs), k, replace=False)
        result = compare_runs([base_runs[i] for i in b], [cur_runs[i] for i in c], 10.0, paired=paired)
        hits += result.status == "regressed"
    return hits / trials


def budget_rate(condition: str, metric: str, factor: float, status: str, trials: int, seed: int = 0) -> float:
    """Share of draws of 10 runs whose budget verdict is `status`, with the budget at `factor` × the pooled p95
    of all the condition's runs."""
    rng = np.random.default_rng(seed)
    all_runs = runs(condition, metric)
    budget = factor * pooled_quantile(list(all_runs))
    hits = 0
    for _ in range(trials):
        chosen = rng.choice(len(all_runs), RUNS_PER_SIDE, replace=False)
        hits += check_budget_runs([all_runs[i] for i in chosen], budget).status == status
    return hits / trials


def table(trials: int = 1000) -> list[str]:
    out = ["| metric | comparison | share `regressed` |", "|---|---|---|"]
    for metric in (ENCODE, VERIFY):
        out.append(f"| {metric} | A/A | {drift_rate('A', 'A', metric, trials):.1%} |")
        out.append(f"| {metric} | A vs W0 | {drift_rate('A', 'W0', metric, trials):.1%} |")
        out.append(f"| {metric} | A vs W0 paired | {drift_rate('A', 'W0', metric, trials, paired=True):.1%} |")
    for metric in SERVICES:
        out.append(f"| {metric} | G/G | {drift_rate('G', 'G', metric, trials):.1%} |")
    for condition in ("M10", "M20", "M50", "D20", "T50"):
        out.append(f"| {ENCODE} | A vs {condition} | {drift_rate('A', condition, ENCODE, trials):.1%} |")
        paired = drift_rate("A", condition, ENCODE, trials, paired=True)
        out.append(f"| {ENCODE} | A vs {condition} paired | {paired:.1%} |")
    out += ["", "| metric | budget | share of verdicts |", "|---|---|---|"]
    for condition, metric in [("A", ENCODE), ("A", VERIFY), *(("G", m) for m in SERVICES)]:
        fail = budget_rate(condition, metric, 1.25, "fail", trials)
        passed = budget_rate(condition, metric, 0.8, "pass", trials)
        out.append(f"| {metric} | `fail` at 1.25 × pooled p95 | {fail:.1%} |")
        out.append(f"| {metric} | `pass` at 0.8 × pooled p95 | {passed:.1%} |")
    return out


if __name__ == "__main__":
    print("\n".join(table()))
