"""Budget verdicts: is each budgeted metric's p95 within its SLO, judged with its confidence interval?

- pass: the interval's upper end is within the budget; fail: its lower end is above the budget;
- inconclusive: the budget lies inside the interval (reported with the runs that would settle it); the
  gate then follows the point estimate and says so;
- missing: a budgeted metric has no data (or its suite failed) — this fails the gate;
- skipped: no data for a recorded reason the active profile allows.

The budget is about the p95 over the runs of a configuration: the estimate pools every run's samples, and its
interval resamples whole runs (`stats.run_bootstrap_quantile_ci`), because the p95 varies far more between
processes than inside one. One run (`check_budget`) is the special case: its order-statistic interval says nothing
about the next process, and the verdict says so.
"""

from __future__ import annotations

import fnmatch
from dataclasses import asdict, dataclass
from functools import partial

import numpy as np

from hologram_lib import stats
from hologram_lib.config import GateSettings
from hologram_lib.perf.files import MetricData
from hologram_lib.status import Budget
from hologram_lib.units import ms as _ms  # one formatter for every page (units.ms)

ONE_RUN = "1 run: machine noise not measured"


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


def check_budget_runs(runs: object, budget_ms: float) -> BudgetResult:
    """Judge the pooled p95 of several runs (each a sequence of samples in ms) against a p95 budget (ms), with an
    interval over runs; inconclusive → `runs_needed` says how many runs would settle it."""
    sorted_runs = [stats.as_sorted(run) for run in runs]  # type: ignore[attr-defined]
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


@dataclass(frozen=True, kw_only=True)
class MetricVerdict:
    metric: str
    status: Budget
    budget_ms: float
    budget_source: str
    blocks: bool
    reason: str
    result: BudgetResult | None = None


@dataclass(frozen=True)
class GateReport:
    profile: str
    verdicts: list[MetricVerdict]

    @property
    def passed(self) -> bool:
        return not any(v.blocks for v in self.verdicts)

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": "hologram-gate/1",
            "profile": self.profile,
            "passed": self.passed,
            "verdicts": [asdict(v) for v in self.verdicts],
        }

    def lines(self) -> list[str]:
        blocking = [v for v in self.verdicts if v.blocks]
        head = "PASS" if self.passed else "FAIL"
        summary = f"{len(blocking)} of {len(self.verdicts)} budgets block" if blocking else "all budgets met"
        return [f"perf gate: {head} (profile {self.profile}): {summary}"] + [
            f"  {v.status.upper():<12} {v.metric}: {v.reason}" for v in self.verdicts
        ]


def _verdict_for(data: MetricData, budget: float, source: str, settings: GateSettings) -> MetricVerdict:
    label = f"budget {budget:g} ms ({source})"
    verdict = partial(MetricVerdict, metric=data.key, budget_ms=budget, budget_source=source)
    if data.skip_reason is not None and not data.has_data:
        if data.suite in settings.allowed_skips:
            return verdict(status=Budget.SKIPPED, blocks=False, reason=f"{data.skip_reason}; {label}")
        reason = f"{data.skip_reason}, but profile {settings.profile} requires it; {label}"
        return verdict(status=Budget.MISSING, blocks=True, reason=reason)
    if not data.has_data:
        why = data.error or "no samples recorded"
        return verdict(status=Budget.MISSING, blocks=True, reason=f"{why}; {label}")
    if data.samples is None:
        assert data.p95_ms is not None
        over = data.p95_ms > budget
        reason = (
            f"p95 {_ms(data.p95_ms)} ms {'>' if over else '<='} {label}, n={data.n}; no samples (point "
            "estimate only, from a summary file): the gate follows the point estimate"
        )
        return verdict(status=Budget.INCONCLUSIVE, blocks=over, reason=reason)
    result = check_budget_runs(data.runs, budget) if data.runs else check_budget(data.samples, budget)
    interval = f"p95 {_ms(result.p95_ms)} ms [95% CI {_ms(result.ci_low_ms)}–{_ms(result.ci_high_ms)}]"
    size = f"{result.runs} runs, n={result.n}" if result.runs > 1 else f"n={result.n}; {ONE_RUN}"
    if result.status == Budget.PASS:
        return verdict(status=Budget.PASS, blocks=False, reason=f"{interval} <= {label}, {size}", result=result)
    if result.status == Budget.FAIL:
        return verdict(status=Budget.FAIL, blocks=True, reason=f"{interval} > {label}, {size}", result=result)
    over = result.p95_ms > budget
    more = (
        stats.settle_hint(result.runs_needed, "runs")
        if result.runs > 1
        else stats.settle_hint(result.samples_needed, "samples")
    )
    reason = (
        f"{interval} straddles {label}, {size}; {more}; "
        f"the gate follows the point estimate ({'over' if over else 'within'} budget)"
    )
    return verdict(status=Budget.INCONCLUSIVE, blocks=over, reason=reason, result=result)


def evaluate(metrics: dict[str, MetricData], settings: GateSettings) -> GateReport:
    """One verdict per budgeted metric, against the one budget that governs it (settings.budget_rule); a budget name
    that matches no recorded metric is `missing`."""
    verdicts: list[MetricVerdict] = []
    for name, budget in settings.budgets.items():
        if not any(fnmatch.fnmatchcase(key, name) for key in metrics):
            source = settings.source_of(name)
            reason = f"no data recorded (run `hologram perf collect`); budget {budget:g} ms ({source})"
            missing = MetricVerdict(metric=name, status=Budget.MISSING, budget_ms=budget, budget_source=source,
                                    blocks=True, reason=reason)  # fmt: skip
            verdicts.append(missing)
    for key in sorted(metrics):
        rule = settings.budget_rule(key)
        if rule is not None:
            verdicts.append(_verdict_for(metrics[key], settings.budgets[rule], settings.source_of(rule), settings))
    return GateReport(settings.profile, verdicts)
