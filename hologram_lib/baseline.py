"""baseline.json: read, promote, and compare a run against it (drift verdicts).

A metric `regressed` only when its p95 ratio (current / baseline) is above 1 + threshold **and** the bootstrap
evidence is significant after Benjamini–Hochberg across all metrics compared; `improved` likewise below
1 - threshold; otherwise `unchanged`, with the minimum detectable effect so a reader sees what could not have
been seen. Metrics only one side has are `new` or `gone`; a gone budgeted metric fails the comparison.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from hologram_lib import atomic, stats
from hologram_lib.config import GateSettings
from hologram_lib.errors import InputError, Refused
from hologram_lib.perf.files import MetricData

SCHEMA = "hologram-baseline/2"
UPSTREAM_FLAT = "upstream-flat"
MIN_SAMPLES_FOR_BOOTSTRAP = 20
NO_SAMPLES = "no samples (point estimate only)"


@dataclass(frozen=True)
class BaselineMetric:
    p95_ms: float
    n: int
    samples: np.ndarray | None


@dataclass(frozen=True)
class Baseline:
    path: str
    schema: str
    created: str | None
    provenance: dict[str, object]
    metrics: dict[str, BaselineMetric]


def _positive_p95(value: object, key: str, path: Path) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise InputError(
            f"metric {key}: expected a positive p95 in ms, got {value!r} (a 0 ms baseline cannot be compared)", path
        )
    return float(value)


def read_baseline(path: Path) -> Baseline:
    """Read a hologram-baseline/2 file, or the upstream flat form {"core.verify_ms": 7.41} (point estimates)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            "no baseline found: expected a baseline.json (run `hologram baseline promote` on main, or download it)",
            path,
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read baseline: {exc}", path) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"expected JSON ({exc.msg})", path, exc.lineno) from None
    if not isinstance(document, dict):
        raise InputError("expected a JSON object", path)
    if document.get("schema") == SCHEMA:
        return _read_v2(document, path)
    if "schema" in document:
        raise InputError(f"unknown baseline schema {document['schema']!r}: expected {SCHEMA!r}", path)
    metrics = {key: BaselineMetric(_positive_p95(value, key, path), 0, None) for key, value in document.items()}
    if not metrics:
        raise InputError("expected at least one metric in the baseline", path)
    return Baseline(str(path), UPSTREAM_FLAT, None, {}, metrics)


def _read_v2(document: dict, path: Path) -> Baseline:
    raw_metrics = document.get("metrics")
    if not isinstance(raw_metrics, dict) or not raw_metrics:
        raise InputError('expected a non-empty "metrics" object', path)
    metrics: dict[str, BaselineMetric] = {}
    for key, entry in raw_metrics.items():
        if not isinstance(entry, dict):
            raise InputError(f"metric {key}: expected an object with p95_ms, n, samples", path)
        samples = entry.get("samples")
        ordered = None
        if samples is not None:
            if not isinstance(samples, list) or not all(
                isinstance(s, int | float) and not isinstance(s, bool) and math.isfinite(s) and s >= 0 for s in samples
            ):
                raise InputError(f"metric {key}: expected samples as a list of non-negative numbers", path)
            ordered = stats.as_sorted(samples) if samples else None
        p95 = _positive_p95(entry.get("p95_ms"), key, path)
        metrics[key] = BaselineMetric(p95, len(ordered) if ordered is not None else int(entry.get("n") or 0), ordered)
    provenance = document.get("provenance") if isinstance(document.get("provenance"), dict) else {}
    return Baseline(str(path), SCHEMA, document.get("created"), provenance, metrics)


def baseline_document(metrics: dict[str, MetricData], provenance: dict[str, object]) -> dict[str, object]:
    """A hologram-baseline/2 document from the measured metrics that have raw samples."""
    entries = {
        key: {
            "p95_ms": round(stats.quantile(data.samples), 6),
            "n": len(data.samples),
            "samples": [round(float(v), 6) for v in data.samples],
        }
        for key, data in sorted(metrics.items())
        if data.samples is not None and len(data.samples)
    }
    created = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {"schema": SCHEMA, "created": created, "provenance": provenance, "metrics": entries}


def write_baseline(path: Path, document: dict[str, object]) -> Path:
    return atomic.write_text(path, json.dumps(document, indent=1, sort_keys=False) + "\n")


@dataclass(frozen=True)
class DriftResult:
    status: str
    ratio: float
    ci_low: float
    ci_high: float
    mde_pct: float
    p_value: float | None = None
    note: str = ""


def _decide(ratio: float, significant: bool, threshold_pct: float) -> str:
    if significant and ratio > 1.0 + threshold_pct / 100.0:
        return "regressed"
    if significant and ratio < 1.0 - threshold_pct / 100.0:
        return "improved"
    return "unchanged"


def _bootstrap(baseline_sorted: np.ndarray, current_sorted: np.ndarray) -> stats.RatioEstimate | None:
    if min(len(baseline_sorted), len(current_sorted)) < MIN_SAMPLES_FOR_BOOTSTRAP:
        return None
    return stats.bootstrap_quantile_ratio(baseline_sorted, current_sorted)


def _from_estimate(estimate: stats.RatioEstimate, p_adjusted: float, threshold_pct: float) -> DriftResult:
    status = _decide(estimate.ratio, p_adjusted < stats.DRIFT_ALPHA, threshold_pct)
    mde = max(threshold_pct, 100.0 * stats.minimum_detectable_effect(estimate.se_log))
    return DriftResult(status, estimate.ratio, estimate.ci_low, estimate.ci_high, mde, p_adjusted)


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
        _decide(ratio, significant, threshold_pct), ratio, ci_low, ci_high, mde, None, f"{side}: {NO_SAMPLES}"
    )


def compare_samples(baseline_ms: object, current_ms: object, threshold_pct: float = 10.0) -> DriftResult:
    """Drift verdict for one metric from raw samples of both runs (no correction for other metrics)."""
    base, cur = stats.as_sorted(baseline_ms), stats.as_sorted(current_ms)
    if min(len(base), len(cur)) == 0 or stats.quantile(base) <= 0:
        raise ValueError("compare_samples needs samples on both sides and a positive baseline p95")
    estimate = _bootstrap(base, cur)
    if estimate is None:
        return _too_few(base, cur, threshold_pct)
    return _from_estimate(estimate, estimate.p_value, threshold_pct)


def _too_few(base: np.ndarray, cur: np.ndarray, threshold_pct: float) -> DriftResult:
    ratio = stats.quantile(cur) / stats.quantile(base)
    note = f"too few samples to test (n={len(base)} / {len(cur)}, need {MIN_SAMPLES_FOR_BOOTSTRAP} each)"
    return DriftResult("unchanged", ratio, 0.0, math.inf, math.inf, None, note)


@dataclass(frozen=True)
class MetricDrift:
    metric: str
    status: str
    blocks: bool
    baseline_p95_ms: float | None
    current_p95_ms: float | None
    baseline_n: int
    current_n: int
    result: DriftResult | None
    reason: str


def _point_only(base_p95: float, cur_p95: float, threshold_pct: float) -> DriftResult:
    ratio = cur_p95 / base_p95
    note = f"{NO_SAMPLES} on both sides: the ratio is not statistically tested"
    return DriftResult(_decide(ratio, True, threshold_pct), ratio, ratio, ratio, threshold_pct, None, note)


def compare_metric_sets(
    baseline: Baseline, current: dict[str, MetricData], threshold_pct: float, settings: GateSettings
) -> list[MetricDrift]:
    """Drift of every metric either side has; BH across the metrics tested with samples on both sides."""
    keys = sorted(set(baseline.metrics) | {k for k, d in current.items() if d.has_data or k in baseline.metrics})
    estimates: dict[str, stats.RatioEstimate] = {}
    for key in keys:
        base, cur = baseline.metrics.get(key), current.get(key)
        if base is not None and base.samples is not None and cur is not None and cur.samples is not None:
            estimate = _bootstrap(base.samples, cur.samples)
            if estimate is not None:
                estimates[key] = estimate
    adjusted = dict(zip(estimates, stats.benjamini_hochberg([e.p_value for e in estimates.values()]), strict=True))
    drifts = []
    for key in keys:
        base, cur = baseline.metrics.get(key), current.get(key)
        if base is None:
            drifts.append(MetricDrift(key, "new", False, None, cur.p95_ms, 0, cur.n, None, "not in the baseline"))
            continue
        if cur is None or not cur.has_data:
            skip = cur.skip_reason if cur is not None else None
            if skip is not None and cur is not None and cur.suite in settings.allowed_skips:
                reason = f"{skip} (allowed by profile {settings.profile})"
                drifts.append(MetricDrift(key, "skipped", False, base.p95_ms, None, base.n, 0, None, reason))
                continue
            blocks = settings.budget_for(key) is not None
            reason = (skip or "not measured in this run") + ("; it has a budget" if blocks else "")
            drifts.append(MetricDrift(key, "gone", blocks, base.p95_ms, None, base.n, 0, None, reason))
            continue
        if key in estimates:
            result = _from_estimate(estimates[key], adjusted[key], threshold_pct)
        elif base.samples is not None and cur.samples is not None:
            result = _too_few(base.samples, cur.samples, threshold_pct)
        elif cur.samples is not None:
            result = _one_sided_samples(base.p95_ms, cur.samples, True, threshold_pct)
        elif base.samples is not None:
            result = _one_sided_samples(cur.p95_ms, base.samples, False, threshold_pct)
        else:
            result = _point_only(base.p95_ms, cur.p95_ms, threshold_pct)
        drifts.append(
            MetricDrift(
                key,
                result.status,
                result.status == "regressed",
                base.p95_ms,
                cur.p95_ms,
                base.n,
                cur.n,
                result,
                _describe(base.p95_ms, cur.p95_ms, result),
            )
        )
    return drifts


def _describe(base_p95: float, cur_p95: float | None, result: DriftResult) -> str:
    def num(value: float) -> str:
        return "∞" if not math.isfinite(value) else f"{value:.3f}"

    text = f"p95 {base_p95:.3f} → {num(cur_p95 or math.nan)} ms, ratio ×{result.ratio:.3f}"
    if result.ci_low != result.ci_high:
        text += f" [{100 * (1 - 2 * stats.DRIFT_ALPHA):g}% CI {num(result.ci_low)}–{num(result.ci_high)}]"
    if result.p_value is not None:
        text += f", p(BH)={result.p_value:.4f}"
    text += f"; smallest change it could flag: {num(result.mde_pct)}%"
    return text + (f"; {result.note}" if result.note else "")


@dataclass(frozen=True)
class DriftReport:
    baseline: Baseline
    threshold_pct: float
    drifts: list[MetricDrift]

    @property
    def passed(self) -> bool:
        return not any(d.blocks for d in self.drifts)

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": "hologram-drift/1",
            "baseline": {
                "path": self.baseline.path,
                "schema": self.baseline.schema,
                "created": self.baseline.created,
                "provenance": self.baseline.provenance,
            },
            "threshold_pct": self.threshold_pct,
            "alpha": stats.DRIFT_ALPHA,
            "passed": self.passed,
            "drifts": [asdict(d) for d in self.drifts],
        }

    def lines(self) -> list[str]:
        blocking = [d for d in self.drifts if d.blocks]
        head = "PASS" if self.passed else "FAIL"
        label = "no samples, point estimates only" if self.baseline.schema == UPSTREAM_FLAT else self.baseline.schema
        summary = f"{len(blocking)} blocking" if blocking else "no significant regression"
        return [
            f"baseline drift: {head} vs {self.baseline.path} ({label}); threshold {self.threshold_pct:g}%, "
            f"BH-adjusted alpha {stats.DRIFT_ALPHA:g}: {summary}"
        ] + [f"  {d.status.upper():<10} {d.metric}: {d.reason}" for d in self.drifts]


def promote(
    metrics: dict[str, MetricData], path: Path, provenance: dict[str, object], gate_passed: bool, force: bool
) -> Path:
    """Write a new baseline (atomically). Baselines come from green runs on main unless forced."""
    branch = provenance.get("branch")
    if branch != "main" and not force:
        raise Refused(
            f"refusing to promote a baseline from branch {branch!r}: baselines come from main (--force overrides)",
            exit_code=2,
        )
    if not gate_passed and not force:
        raise Refused("refusing to promote a baseline after a failed perf gate (--force overrides)", exit_code=1)
    document = baseline_document(metrics, provenance)
    if not document["metrics"]:
        raise InputError("no raw samples to promote: run `hologram perf collect` first")
    return write_baseline(path, document)


def compare(
    baseline: Baseline, current: dict[str, MetricData], threshold_pct: float, settings: GateSettings
) -> DriftReport:
    """The drift report of a run against a baseline (what `hologram baseline compare` prints)."""
    return DriftReport(baseline, threshold_pct, compare_metric_sets(baseline, current, threshold_pct, settings))
