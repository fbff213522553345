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

from hologram_lib import stats
from hologram_lib.budget_policy import BudgetResult, check_budget, check_budget_runs
from hologram_lib.config import GateSettings
from hologram_lib.outcomes import Budget
from hologram_lib.perf.files import MetricData
from hologram_lib.units import ms as _ms  # one formatter for every page (units.ms)


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
    size = f"{result.runs} runs, n={result.n}" if result.runs > 1 else f"n={result.n}; {stats.ONE_RUN}"
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
