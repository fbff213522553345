"""The budget policy: is a p95 within its budget (ms), judged with its confidence interval, and how many runs would
settle it when it is not clear yet? The gate (`gate.evaluate`) asks it per budgeted metric; the collector asks it
only how many more runs a suite needs (`runs_to_settle`), so measuring never loads the judge.

The p95 is pooled over the runs of a configuration and its interval resamples whole runs
(`stats.run_bootstrap_quantile_ci`): the p95 varies far more between processes than inside one. One run
(`check_budget`) is the special case: its order-statistic interval says nothing about the next process.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from hologram_lib import stats
from hologram_lib.outcomes import Budget


@dataclass(frozen=True, kw_only=True)
class BudgetResult:
    status: Budget
    p95_ms: float
    ci_low_ms: float
    ci_high_ms: float
    n: int
    budget_ms: float
    samples_needed: int | None = None
    runs: int = 1
    runs_needed: int | None = None


def _status(low: float, high: float, budget_ms: float) -> Budget:
    return Budget.PASS if high <= budget_ms else Budget.FAIL if low > budget_ms else Budget.INCONCLUSIVE


def check_budget(samples_ms: object, budget_ms: float) -> BudgetResult:
    """One run's raw samples against a p95 budget (ms) — the one-run special case of check_budget_runs: its
    distribution-free interval covers this process's p95, not the next process's."""
    ordered = stats.as_sorted(samples_ms)
    n = len(ordered)
    if n == 0:
        raise ValueError("check_budget needs at least one sample")
    p95 = stats.quantile(ordered)
    low, high = stats.quantile_ci(ordered)
    status = _status(low, high, budget_ms)
    needed = stats.samples_to_settle(n, p95, low, high, budget_ms) if status == Budget.INCONCLUSIVE else None
    return BudgetResult(
        status=status, p95_ms=p95, ci_low_ms=low, ci_high_ms=high, n=n, budget_ms=budget_ms, samples_needed=needed
    )


def check_budget_runs(runs: Iterable[Sequence[float] | np.ndarray], budget_ms: float) -> BudgetResult:
    """Judge the pooled p95 of several runs (each a sequence of samples in ms) against a p95 budget (ms), with an
    interval over runs; inconclusive → `runs_needed` says how many runs would settle it."""
    sorted_runs = [stats.as_sorted(run) for run in runs]
    if not sorted_runs or any(len(run) == 0 for run in sorted_runs):
        raise ValueError("check_budget_runs needs at least one run, and samples in every run")
    if len(sorted_runs) == 1:
        return check_budget(sorted_runs[0], budget_ms)
    pooled = stats.as_sorted(np.concatenate(sorted_runs))
    p95 = stats.quantile(pooled)
    low, high = stats.run_bootstrap_quantile_ci(sorted_runs)
    status = _status(low, high, budget_ms)
    k = len(sorted_runs)
    needed = (
        stats.samples_to_settle(k, p95, low, high, budget_ms, floor=stats.MIN_RUNS)
        if status == Budget.INCONCLUSIVE
        else None
    )
    return BudgetResult(
        status=status,
        p95_ms=p95,
        ci_low_ms=low,
        ci_high_ms=high,
        n=len(pooled),
        budget_ms=budget_ms,
        samples_needed=None,
        runs=k,
        runs_needed=needed,
    )


def runs_to_settle(runs: Iterable[Sequence[float] | np.ndarray], budget_ms: float, taken: int) -> int:
    """How many runs in all would settle this budget (at least one more than the `taken` so far); 0 when the runs
    already say pass or fail."""
    verdict = check_budget_runs(runs, budget_ms)
    if verdict.status != Budget.INCONCLUSIVE:
        return 0
    return verdict.runs_needed or taken + 1
