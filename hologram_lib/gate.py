"""Budget verdicts: is each budgeted metric's p95 within its SLO, judged with its confidence interval?

- pass: the interval's upper end is within the budget; fail: its lower end is above the budget;
- inconclusive: the budget lies inside the interval (reported with the samples that would settle it); the
  gate then follows the point estimate and says so;
- missing: a budgeted metric has no data (or its suite failed) — this fails the gate;
- skipped: no data for a recorded reason the active profile allows.
"""

from __future__ import annotations

import fnmatch
from dataclasses import asdict, dataclass

from hologram_lib import stats
from hologram_lib.config import GateSettings
from hologram_lib.perf.files import MetricData


@dataclass(frozen=True)
class BudgetResult:
    status: str
    p95_ms: float
    ci_low_ms: float
    ci_high_ms: float
    n: int
    budget_ms: float
    samples_needed: int | None = None


def check_budget(samples_ms: object, budget_ms: float) -> BudgetResult:
    """Judge one metric's raw samples against a p95 budget (ms)."""
    ordered = stats.as_sorted(samples_ms)
    n = len(ordered)
    if n == 0:
        raise ValueError("check_budget needs at least one sample")
    p95 = stats.quantile(ordered)
    low, high = stats.quantile_ci(ordered)
    if high <= budget_ms:
        status, needed = "pass", None
    elif low > budget_ms:
        status, needed = "fail", None
    else:
        status, needed = "inconclusive", stats.samples_to_settle(n, p95, low, high, budget_ms)
    return BudgetResult(status, p95, low, high, n, budget_ms, needed)


@dataclass(frozen=True)
class MetricVerdict:
    metric: str
    status: str
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


def _ms(value: float) -> str:
    return "∞" if value == float("inf") else f"{value:.3f}"


def _verdict_for(data: MetricData, budget: float, source: str, settings: GateSettings) -> MetricVerdict:
    label = f"budget {budget:g} ms ({source})"
    if data.skip_reason is not None and not data.has_data:
        if data.suite in settings.allowed_skips:
            return MetricVerdict(data.key, "skipped", budget, source, False, f"{data.skip_reason}; {label}")
        reason = f"{data.skip_reason}, but profile {settings.profile} requires it; {label}"
        return MetricVerdict(data.key, "missing", budget, source, True, reason)
    if not data.has_data:
        why = data.error or "no samples recorded"
        return MetricVerdict(data.key, "missing", budget, source, True, f"{why}; {label}")
    if data.samples is None:
        assert data.p95_ms is not None
        over = data.p95_ms > budget
        reason = (
            f"p95 {_ms(data.p95_ms)} ms {'>' if over else '<='} {label}, n={data.n}; no samples (point "
            "estimate only, from a summary file): the gate follows the point estimate"
        )
        return MetricVerdict(data.key, "inconclusive", budget, source, over, reason)
    result = check_budget(data.samples, budget)
    interval = f"p95 {_ms(result.p95_ms)} ms [95% CI {_ms(result.ci_low_ms)}–{_ms(result.ci_high_ms)}]"
    if result.status == "pass":
        return MetricVerdict(data.key, "pass", budget, source, False, f"{interval} <= {label}, n={result.n}", result)
    if result.status == "fail":
        return MetricVerdict(data.key, "fail", budget, source, True, f"{interval} > {label}, n={result.n}", result)
    over = result.p95_ms > budget
    reason = (
        f"{interval} straddles {label}, n={result.n}; ~{result.samples_needed} samples would settle it; "
        f"the gate follows the point estimate ({'over' if over else 'within'} budget)"
    )
    return MetricVerdict(data.key, "inconclusive", budget, source, over, reason, result)


def evaluate(metrics: dict[str, MetricData], settings: GateSettings) -> GateReport:
    """One verdict per budgeted metric (a budget pattern may match several metrics)."""
    verdicts: list[MetricVerdict] = []
    for pattern, budget in settings.budgets.items():
        source = settings.budget_sources.get(pattern, f"profile {settings.profile}")
        matched = [key for key in sorted(metrics) if fnmatch.fnmatchcase(key, pattern)]
        if not matched:
            reason = f"no data recorded (run `hologram perf collect`); budget {budget:g} ms ({source})"
            verdicts.append(MetricVerdict(pattern, "missing", budget, source, True, reason))
        verdicts.extend(_verdict_for(metrics[key], budget, source, settings) for key in matched)
    return GateReport(settings.profile, verdicts)
