"""Drift orchestration: which metrics are judged how against a baseline, and the report of it (maths in `drift`).

Metrics with runs on both sides are judged on runs (too few → inconclusive); one run or a point estimate on a side is
inconclusive unless the user asks for the one-run test (`--allow-one-run` / HOLOGRAM_ALLOW_ONE_RUN=1). Across
metrics, the centre and the tail p-values are each Benjamini–Hochberg adjusted as one family. Metrics only one side
has are `new` or `gone`; a gone budgeted metric fails the comparison. Counted metrics of another toolchain are not
compared.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from functools import partial

import numpy as np

from hologram_lib import stats
from hologram_lib.baseline.files import HISTORY, NO_SAMPLES, Baseline, BaselineMetric
from hologram_lib.baseline.text import describe, describe_count, report_lines
from hologram_lib.config import GateSettings
from hologram_lib.drift import (
    DriftResult,
    RunLogs,
    SessionNoise,
    bootstrap,
    compare_log_sets,
    decide,
    from_estimate,
    not_compared,
    separate_sessions,
    too_few_runs,
    too_few_samples,
)
from hologram_lib.outcomes import Drift
from hologram_lib.paired_documents import NoiseDocument
from hologram_lib.perf.counted_file import fingerprint_difference, is_counted
from hologram_lib.perf.files import MetricData


@dataclass(frozen=True, kw_only=True)
class MetricDrift:
    metric: str
    status: Drift
    blocks: bool
    baseline_p95_ms: float | None
    current_p95_ms: float | None
    baseline_n: int
    current_n: int
    result: DriftResult | None
    reason: str


@dataclass(frozen=True)
class DriftReport:
    baseline: Baseline
    threshold_pct: float
    drifts: list[MetricDrift]
    alpha: float = stats.RUN_DRIFT_ALPHA  # one-sided, the per-run medians' test (the tail's below)
    tail_alpha: float = stats.TAIL_DRIFT_ALPHA

    @property
    def passed(self) -> bool:
        return not any(d.blocks for d in self.drifts)

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": "hologram-drift/2",
            "baseline": {
                "path": self.baseline.path,
                "schema": self.baseline.schema,
                "label": self.baseline.label,
                "created": self.baseline.created,
                "provenance": self.baseline.provenance,
            },
            "threshold_pct": self.threshold_pct,
            "alpha": self.alpha,
            "tail_alpha": self.tail_alpha,
            "passed": self.passed,
            "drifts": [asdict(d) for d in self.drifts],
        }

    def lines(self) -> list[str]:
        """What `hologram baseline compare` prints (baseline.text)."""
        return report_lines(self)


TREND_ONLY_SUITES = ("e2e",)


def trend_only(key: str) -> bool:
    """Metrics measured once per report (the E2E probe's steps: one sample each) are not drift-gated: one sample
    per report cannot separate a change from a slow minute. They are shown as trends of the history only."""
    return key.partition(".")[0] in TREND_ONLY_SUITES


def compare_metric_sets(
    baseline: Baseline,
    current: dict[str, MetricData],
    threshold_pct: float,
    settings: GateSettings,
    noise: NoiseDocument | None = None,
) -> list[MetricDrift]:
    """Drift of every metric either side has; BH across metrics, the centre and the tail each as one family.

    Metrics with runs on both sides are judged on runs (too few → inconclusive); the baseline and the current runs
    are separate sessions, whose session noise comes from `noise` (calibrate's noise.json) or the default. One run
    or a point estimate on a side: inconclusive, unless the user asked for the one-run test (allow_one_run)."""
    keys = _compared_keys(baseline, current)
    incomparable, on_runs, rest = _partition(baseline, current, keys, settings)
    results = {k: not_compared(reason) for k, reason in incomparable.items()}
    results |= _run_results(baseline, current, on_runs, threshold_pct, noise)
    if settings.allow_one_run:
        results |= _one_run_results(baseline, current, rest, threshold_pct)
    else:
        results |= {k: _not_without_runs(baseline.metrics[k], current[k]) for k in rest}
    return [_metric_drift(key, baseline, current, results, incomparable, settings) for key in keys]


def _partition(
    baseline: Baseline, current: dict[str, MetricData], keys: list[str], settings: GateSettings
) -> tuple[dict[str, str], list[str], list[str]]:
    """The metrics both sides measured, by how they are judged: not at all (counts of another toolchain, with the
    reason), on runs, or on what one run gives (the one-run test, or inconclusive without it)."""
    both = [k for k in keys if _measured_by_both(k, baseline, current)]
    incomparable = _incomparable(baseline, current, both)
    comparable = [k for k in both if k not in incomparable]
    on_runs = [k for k in comparable if _judged_on_runs(k, baseline.metrics[k], current[k], settings)]
    return incomparable, on_runs, [k for k in comparable if k not in on_runs]


def _measured_by_both(key: str, baseline: Baseline, current: dict[str, MetricData]) -> bool:
    return key in baseline.metrics and key in current and current[key].has_data


def _compared_keys(baseline: Baseline, current: dict[str, MetricData]) -> list[str]:
    """Every metric either side has (the current side's only with data), trend-only metrics left out."""
    measured = {k for k, d in current.items() if d.has_data or k in baseline.metrics}
    return [k for k in sorted(set(baseline.metrics) | measured) if not trend_only(k)]


def _incomparable(baseline: Baseline, current: dict[str, MetricData], keys: list[str]) -> dict[str, str]:
    """Counted metrics whose toolchains differ, with the difference: counts of another toolchain are not compared."""
    found = {}
    for key in keys:
        if is_counted(key):
            reason = fingerprint_difference(baseline.metrics[key].fingerprint, current[key].fingerprint)
            if reason:
                found[key] = reason
    return found


def _judged_on_runs(key: str, base: BaselineMetric, cur: MetricData, settings: GateSettings) -> bool:
    """Runs on both sides are judged on runs — always without the one-run test, and for a count (which needs no
    spread between runs); with the one-run test, only when both sides have MIN_RUNS."""
    if not base.run_count or not cur.runs:
        return False
    enough = min(base.run_count, cur.run_count) >= stats.MIN_RUNS
    return enough or not settings.allow_one_run or is_counted(key)


def _run_results(
    baseline: Baseline,
    current: dict[str, MetricData],
    keys: list[str],
    threshold_pct: float,
    noise: NoiseDocument | None,
) -> dict[str, DriftResult]:
    sessions = separate_sessions(noise, keys)
    if baseline.schema == HISTORY:
        # Each history run is a whole earlier session, so the baseline's spread already carries the session noise;
        # only the current session's own level is unmeasured: one session term instead of two (2·sd²/2).
        sessions = {k: SessionNoise(s.median / math.sqrt(2), s.p95 / math.sqrt(2)) for k, s in sessions.items()}
    results = compare_log_sets(
        {k: (baseline.metrics[k].logs(), RunLogs.of(current[k].runs)) for k in keys},
        threshold_pct,
        paired=False,
        sessions=sessions,
    )
    return {k: _with_hint(r) if r.runs_needed is not None and r.tail_ratio is None else r for k, r in results.items()}


def _one_run_results(
    baseline: Baseline, current: dict[str, MetricData], keys: list[str], threshold_pct: float
) -> dict[str, DriftResult]:
    """The one-run test of each metric, the bootstrap p-values BH-adjusted as one family."""
    estimates = _one_run_estimates(baseline, current, keys)
    adjusted = dict(zip(estimates, stats.benjamini_hochberg([e.p_value for e in estimates.values()]), strict=True))
    return {
        k: _one_run_result(baseline.metrics[k], current[k], estimates.get(k), adjusted.get(k, 1.0), threshold_pct)
        for k in keys
    }


def _metric_drift(
    key: str,
    baseline: Baseline,
    current: dict[str, MetricData],
    results: dict[str, DriftResult],
    incomparable: dict[str, str],
    settings: GateSettings,
) -> MetricDrift:
    base, cur = baseline.metrics.get(key), current.get(key)
    if base is None:
        assert cur is not None
        return MetricDrift(
            metric=key,
            status=Drift.NEW,
            blocks=False,
            baseline_p95_ms=None,
            current_p95_ms=cur.p95_ms,
            baseline_n=0,
            current_n=cur.n,
            result=None,
            reason="not in the baseline",
        )
    if cur is None or not cur.has_data:
        return _absent(key, base, cur, settings)
    result = results[key]
    if key in incomparable:
        reason = incomparable[key]
    elif is_counted(key):
        reason = describe_count(result)
    else:
        reason = describe(base.p95_ms, cur.p95_ms, result)
    blocks = result.status == Drift.REGRESSED
    return MetricDrift(
        metric=key,
        status=result.status,
        blocks=blocks,
        baseline_p95_ms=base.p95_ms,
        current_p95_ms=cur.p95_ms,
        baseline_n=base.n,
        current_n=cur.n,
        result=result,
        reason=reason,
    )


def _one_sided_samples(
    point: float, sorted_samples: np.ndarray, samples_are_current: bool, threshold_pct: float
) -> DriftResult:
    """One side has only a point estimate: test the other side's p95 interval against it."""
    low, high = stats.quantile_ci(sorted_samples, confidence=1.0 - 2.0 * stats.DRIFT_ALPHA)
    p95 = stats.quantile(sorted_samples)
    if samples_are_current:
        ratio, ci_low, ci_high = p95 / point, low / point, high / point
    else:
        ratio, ci_low, ci_high = (
            point / p95,
            (point / high if high > 0 else 0.0),
            (point / low if low > 0 else math.inf),
        )
    significant = ci_low > 1.0 or ci_high < 1.0
    mde = max(threshold_pct, 100.0 * (ci_high / ratio - 1.0))
    side = "baseline" if samples_are_current else "current run"
    return DriftResult(
        status=decide(ratio, significant, threshold_pct),
        ratio=ratio,
        ci_low=ci_low,
        ci_high=ci_high,
        mde_pct=mde,
        p_value=None,
        note=f"{side}: {NO_SAMPLES}",
    )


def _point_only(base_p95: float, cur_p95: float, threshold_pct: float) -> DriftResult:
    ratio = cur_p95 / base_p95
    note = f"{NO_SAMPLES} on both sides: the ratio is not statistically tested"
    return DriftResult(
        status=decide(ratio, True, threshold_pct),
        ratio=ratio,
        ci_low=ratio,
        ci_high=ratio,
        mde_pct=threshold_pct,
        p_value=None,
        note=note,
    )


def _one_run_result(
    base: BaselineMetric, cur: MetricData, estimate: stats.RatioEstimate | None, p_adjusted: float, threshold_pct: float
) -> DriftResult:
    """The one-run comparison the user asked for (--allow-one-run): samples of one process per side."""
    base_samples, cur_samples = base.samples, cur.samples
    if estimate is not None:
        result = from_estimate(estimate, p_adjusted, threshold_pct)
    elif base_samples is not None and cur_samples is not None:
        result = too_few_samples(base_samples, cur_samples)
    elif cur_samples is not None:
        result = _one_sided_samples(base.p95_ms, cur_samples, True, threshold_pct)
    elif base_samples is not None:
        assert cur.p95_ms is not None
        result = _one_sided_samples(cur.p95_ms, base_samples, False, threshold_pct)
    else:
        assert cur.p95_ms is not None
        result = _point_only(base.p95_ms, cur.p95_ms, threshold_pct)
    note = f"{stats.ONE_RUN} (--allow-one-run)" + (f"; {result.note}" if result.note else "")
    return DriftResult(
        status=result.status,
        ratio=result.ratio,
        ci_low=result.ci_low,
        ci_high=result.ci_high,
        mde_pct=result.mde_pct,
        p_value=result.p_value,
        note=note,
    )


ONE_RUN_HINT = "; --allow-one-run judges one process per side anyway, blind to the noise between processes"


def _with_hint(result: DriftResult) -> DriftResult:
    return replace(result, note=result.note + ONE_RUN_HINT)


def _not_without_runs(base: BaselineMetric, cur: MetricData) -> DriftResult:
    ratio = (cur.p95_ms or math.nan) / base.p95_ms
    return _with_hint(too_few_runs(max(base.run_count, 1), max(cur.run_count, 1), ratio))


def _one_run_estimates(
    baseline: Baseline, current: dict[str, MetricData], keys: list[str]
) -> dict[str, stats.RatioEstimate]:
    found = {}
    for key in keys:
        base, cur = baseline.metrics[key], current[key]
        if base.samples is not None and cur.samples is not None:
            estimate = bootstrap(base.samples, cur.samples)
            if estimate is not None:
                found[key] = estimate
    return found


def _absent(key: str, base: BaselineMetric, cur: MetricData | None, settings: GateSettings) -> MetricDrift:
    absent = partial(MetricDrift, metric=key, baseline_p95_ms=base.p95_ms, current_p95_ms=None, baseline_n=base.n,
                     current_n=0, result=None)  # fmt: skip
    skip = cur.skip_reason if cur is not None else None
    if skip is not None and cur is not None and cur.suite in settings.allowed_skips:
        reason = f"{skip} (allowed by profile {settings.profile})"
        return absent(status=Drift.SKIPPED, blocks=False, reason=reason)
    blocks = settings.budget_for(key) is not None
    reason = (skip or "not measured in this run") + ("; it has a budget" if blocks else "")
    return absent(status=Drift.GONE, blocks=blocks, reason=reason)


def compare(
    baseline: Baseline,
    current: dict[str, MetricData],
    threshold_pct: float,
    settings: GateSettings,
    noise: NoiseDocument | None = None,
) -> DriftReport:
    """The drift report of a run against a baseline (what `hologram baseline compare` prints)."""
    drifts = compare_metric_sets(baseline, current, threshold_pct, settings, noise)
    return DriftReport(baseline, threshold_pct, drifts)
