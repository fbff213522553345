"""baseline.json: read, promote, and compare a run against it (drift verdicts, maths in `drift`).

`hologram-baseline/3` stores each metric's runs (per-run samples) with provenance, so the comparison can measure the
noise between processes. `/2` (one run with samples) and the upstream flat form `{"core.verify_ms": 7.41}` are still
read, labelled "1 run: machine noise not measured"; such a baseline says `inconclusive`, never `regressed`, unless
the user asks for the one-run test (`--allow-one-run` / HOLOGRAM_ALLOW_ONE_RUN=1).

Across metrics, the centre and the tail p-values are each Benjamini–Hochberg adjusted as one family. Metrics only one
side has are `new` or `gone`; a gone budgeted metric fails the comparison.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hologram_lib import atomic, stats
from hologram_lib.clock import utc_stamp
from hologram_lib.config import GateSettings
from hologram_lib.drift import (
    DriftResult,
    RunLogs,
    SessionNoise,
    bootstrap,
    compare_log_sets,
    compare_runs,
    compare_samples,
    decide,
    from_estimate,
    is_counted,
    not_compared,
    reach,
    separate_sessions,
    too_few_runs,
    too_few_samples,
)
from hologram_lib.errors import InputError, Refused
from hologram_lib.jsonfile import finite_number, unique_keys
from hologram_lib.perf.counted import fingerprint_difference
from hologram_lib.perf.files import MAX_RUN_SIZE_RATIO, MetricData
from hologram_lib.status import Drift
from hologram_lib.units import ms as _num  # one formatter for every page (units.ms)

if TYPE_CHECKING:
    from hologram_lib.history.series import HistoryRuns

__all__ = ["DriftResult", "compare", "compare_runs", "compare_samples", "promote", "read_baseline"]

SCHEMA = "hologram-baseline/3"
SCHEMA_V2 = "hologram-baseline/2"
HISTORY = "hologram-history/1"
UPSTREAM_FLAT = "upstream-flat"
NO_SAMPLES = "no samples (point estimate only)"
ONE_RUN = "1 run: machine noise not measured"
# Stored p95s are rounded to 6 decimals; a larger disagreement with the stored samples means an edited file.
P95_TOLERANCE = 1e-3


@dataclass(frozen=True)
class BaselineMetric:
    p95_ms: float
    n: int
    runs: tuple[np.ndarray, ...]  # each sorted; () for a point estimate
    history: RunLogs | None = None  # from the history store: one entry per earlier report, no samples
    fingerprint: dict[str, str] | None = None  # a counted metric's toolchain; counts of another are not comparable

    @property
    def samples(self) -> np.ndarray | None:
        return stats.as_sorted(np.concatenate(self.runs)) if self.runs else None

    @property
    def run_count(self) -> int:
        return len(self.history) if self.history is not None else len(self.runs)

    def logs(self) -> RunLogs:
        return self.history if self.history is not None else RunLogs.of(self.runs)


@dataclass(frozen=True)
class Baseline:
    path: str
    schema: str
    created: str | None
    provenance: dict[str, object]
    metrics: dict[str, BaselineMetric]

    @property
    def label(self) -> str:
        if self.schema == UPSTREAM_FLAT:
            return f"upstream flat form, {NO_SAMPLES}; {ONE_RUN}"
        if self.schema == SCHEMA_V2:
            return f"{SCHEMA_V2}, {ONE_RUN}"
        if self.schema == HISTORY:
            return f"history store: the last {self.provenance['runs']} green main runs ({self.provenance['commits']})"
        runs = sorted({len(m.runs) for m in self.metrics.values()})
        return f"{SCHEMA}, {'/'.join(map(str, runs))} runs"


def _positive_p95(value: object, key: str, path: Path) -> float:
    number = finite_number(value)
    if number is None or number <= 0:
        raise InputError(
            f"metric {key}: expected a positive p95 in ms, got {value!r:.40} (a 0 ms baseline cannot be compared)",
            path,
        )
    return number


def _samples(raw: object, key: str, what: str, path: Path) -> np.ndarray:
    if not isinstance(raw, list) or not raw:
        raise InputError(f"metric {key}: expected {what} as a list of non-negative numbers (not empty)", path)
    numbers = [finite_number(v) for v in raw]
    if any(v is None or v < 0 for v in numbers):
        raise InputError(f"metric {key}: expected {what} as a list of non-negative numbers (not empty)", path)
    return stats.as_sorted(numbers)


def read_baseline(path: Path) -> Baseline:
    """Read a hologram-baseline/3 or /2 file, or the upstream flat form {"core.verify_ms": 7.41}."""
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
        document = json.loads(text, object_pairs_hook=unique_keys)
    except json.JSONDecodeError as exc:
        raise InputError(f"expected JSON ({exc.msg})", path, exc.lineno) from None
    except RecursionError:
        raise InputError("expected a JSON baseline (nested or sized beyond reason)", path) from None
    except ValueError as exc:  # a duplicate key, an integer of thousands of digits
        raise InputError(f"expected a JSON baseline ({' '.join(str(exc).split())[:120]})", path) from None
    if not isinstance(document, dict):
        raise InputError("expected a JSON object", path)
    if document.get("schema") in (SCHEMA, SCHEMA_V2):
        return _read_versioned(document, path)
    if "schema" in document:
        raise InputError(f"unknown baseline schema {document['schema']!r:.60}: expected {SCHEMA!r}", path)
    metrics = {key: BaselineMetric(_positive_p95(value, key, path), 0, ()) for key, value in document.items()}
    if not metrics:
        raise InputError("expected at least one metric in the baseline", path)
    return Baseline(str(path), UPSTREAM_FLAT, None, {}, metrics)


def _read_metric(key: str, entry: object, schema: str, path: Path) -> BaselineMetric:
    if not isinstance(entry, dict):
        raise InputError(
            f"metric {key}: expected an object with p95_ms, n and {'runs' if schema == SCHEMA else 'samples'}", path
        )
    if schema == SCHEMA:
        raw_runs = entry.get("runs")
        if not isinstance(raw_runs, list) or not raw_runs:
            raise InputError(f"metric {key}: expected runs as a non-empty list of runs (lists of samples)", path)
        runs = tuple(_samples(run, key, f"run {i}", path) for i, run in enumerate(raw_runs, start=1))
        sizes = [len(run) for run in runs]
        if max(sizes) > MAX_RUN_SIZE_RATIO * min(sizes):  # as in a samples file: runs are equal by construction
            raise InputError(
                f"metric {key}: runs of {min(sizes)} and {max(sizes)} samples: expected runs of comparable size", path
            )
    else:
        runs = () if entry.get("samples") in (None, []) else (_samples(entry.get("samples"), key, "samples", path),)
    p95 = _positive_p95(entry.get("p95_ms"), key, path)
    n = finite_number(entry.get("n", 0))
    if n is None or n < 0 or n != int(n):
        raise InputError(f"metric {key}: expected n as a whole number of samples, got {entry.get('n')!r:.40}", path)
    if runs:
        pooled = stats.as_sorted(np.concatenate(runs))
        measured = stats.quantile(pooled)
        if abs(measured - p95) > P95_TOLERANCE * max(measured, 1e-9) + 1e-6:
            raise InputError(
                f"metric {key}: p95_ms {p95:g} contradicts its own samples (their p95 is {measured:.6g}): an edited "
                "baseline? promote a new one",
                path,
            )
        return BaselineMetric(p95, len(pooled), runs, fingerprint=_fingerprint(entry.get("fingerprint"), key, path))
    return BaselineMetric(p95, int(n), ())


def _fingerprint(raw: object, key: str, path: Path) -> dict[str, str] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise InputError(f"metric {key}: expected fingerprint as an object of strings", path)
    return {str(k): v for k, v in raw.items()}


def _read_versioned(document: dict[str, Any], path: Path) -> Baseline:
    schema = document["schema"]
    raw_metrics = document.get("metrics")
    if not isinstance(raw_metrics, dict) or not raw_metrics:
        raise InputError('expected a non-empty "metrics" object', path)
    metrics = {key: _read_metric(key, entry, schema, path) for key, entry in raw_metrics.items()}
    raw_provenance = document.get("provenance")
    provenance: dict[str, object] = raw_provenance if isinstance(raw_provenance, dict) else {}
    created = document.get("created") if isinstance(document.get("created"), str) else None
    return Baseline(str(path), schema, created, provenance, metrics)


def baseline_document(metrics: dict[str, MetricData], provenance: dict[str, object]) -> dict[str, object]:
    """A hologram-baseline/3 document from the measured metrics that have raw samples (runs kept apart)."""
    entries = {
        key: {
            "p95_ms": round(stats.quantile(data.samples), 6),
            "n": len(data.samples),
            "runs": [[round(float(v), 6) for v in run] for run in data.runs],
            **({"fingerprint": data.fingerprint} if data.fingerprint is not None else {}),
        }
        for key, data in sorted(metrics.items())
        if data.samples is not None and len(data.samples) and data.runs
    }
    created = utc_stamp()
    return {"schema": SCHEMA, "created": created, "provenance": provenance, "metrics": entries}


def write_baseline(path: Path, document: dict[str, object]) -> Path:
    try:
        return atomic.write_text(path, json.dumps(document, separators=(",", ":")) + "\n")
    except atomic.Unwritable as exc:  # a directory there, a file where its folder should be, no permission
        raise InputError(f"cannot write the baseline: {exc.reason}", path) from None
    except OSError as exc:
        raise InputError(f"cannot write the baseline: {exc.strerror}", path) from None


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
    note = f"{ONE_RUN} (--allow-one-run)" + (f"; {result.note}" if result.note else "")
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
    noise: dict[str, object] | None = None,
) -> list[MetricDrift]:
    """Drift of every metric either side has; BH across metrics, the centre and the tail each as one family.

    Metrics with runs on both sides are judged on runs (too few → inconclusive); the baseline and the current runs
    are separate sessions, whose session noise comes from `noise` (calibrate's noise.json) or the default. One run
    or a point estimate on a side: inconclusive, unless the user asked for the one-run test (allow_one_run)."""
    keys = sorted(set(baseline.metrics) | {k for k, d in current.items() if d.has_data or k in baseline.metrics})
    keys = [k for k in keys if not trend_only(k)]
    both = [k for k in keys if k in baseline.metrics and k in current and current[k].has_data]
    incomparable = {
        k: reason
        for k in both
        if is_counted(k) and (reason := fingerprint_difference(baseline.metrics[k].fingerprint, current[k].fingerprint))
    }
    both = [k for k in both if k not in incomparable]
    on_runs = [
        k
        for k in both
        if baseline.metrics[k].run_count
        and current[k].runs
        and (
            min(baseline.metrics[k].run_count, current[k].run_count) >= stats.MIN_RUNS
            or not settings.allow_one_run
            or is_counted(k)  # a count needs no spread between runs to be judged
        )
    ]
    sessions = separate_sessions(noise, on_runs)
    if baseline.schema == HISTORY:
        # Each history run is a whole earlier session, so the baseline's spread already carries the session noise;
        # only the current session's own level is unmeasured: one session term instead of two (2·sd²/2).
        sessions = {k: SessionNoise(s.median / math.sqrt(2), s.p95 / math.sqrt(2)) for k, s in sessions.items()}
    run_results = compare_log_sets(
        {k: (baseline.metrics[k].logs(), RunLogs.of(current[k].runs)) for k in on_runs},
        threshold_pct,
        paired=False,
        sessions=sessions,
    )
    one_run = (
        _one_run_estimates(baseline, current, [k for k in both if k not in on_runs]) if settings.allow_one_run else {}
    )
    one_run_p = dict(zip(one_run, stats.benjamini_hochberg([e.p_value for e in one_run.values()]), strict=True))
    drifts = []
    for key in keys:
        base, cur = baseline.metrics.get(key), current.get(key)
        if base is None:
            assert cur is not None
            drifts.append(
                MetricDrift(
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
            )
            continue
        if cur is None or not cur.has_data:
            drifts.append(_absent(key, base, cur, settings))
            continue
        if key in incomparable:
            result = not_compared(incomparable[key])
            drifts.append(
                MetricDrift(
                    metric=key,
                    status=result.status,
                    blocks=False,
                    baseline_p95_ms=base.p95_ms,
                    current_p95_ms=cur.p95_ms,
                    baseline_n=base.n,
                    current_n=cur.n,
                    result=result,
                    reason=result.note,
                )
            )
            continue
        if key in run_results:
            result = run_results[key]
            if result.runs_needed is not None and result.tail_ratio is None:
                result = _with_hint(result)
        elif settings.allow_one_run:
            result = _one_run_result(base, cur, one_run.get(key), one_run_p.get(key, 1.0), threshold_pct)
        else:
            result = _not_without_runs(base, cur)
        drifts.append(
            MetricDrift(
                metric=key,
                status=result.status,
                blocks=result.status == Drift.REGRESSED,
                baseline_p95_ms=base.p95_ms,
                current_p95_ms=cur.p95_ms,
                baseline_n=base.n,
                current_n=cur.n,
                result=result,
                reason=_describe_count(result) if is_counted(key) else _describe(base.p95_ms, cur.p95_ms, result),
            )
        )
    return drifts


def _absent(key: str, base: BaselineMetric, cur: MetricData | None, settings: GateSettings) -> MetricDrift:
    skip = cur.skip_reason if cur is not None else None
    absent = partial(MetricDrift, metric=key, baseline_p95_ms=base.p95_ms, current_p95_ms=None, baseline_n=base.n,
                     current_n=0, result=None)  # fmt: skip
    if skip is not None and cur is not None and cur.suite in settings.allowed_skips:
        reason = f"{skip} (allowed by profile {settings.profile})"
        return absent(status=Drift.SKIPPED, blocks=False, reason=reason)
    blocks = settings.budget_for(key) is not None
    reason = (skip or "not measured in this run") + ("; it has a budget" if blocks else "")
    return absent(status=Drift.GONE, blocks=blocks, reason=reason)


def _describe_count(result: DriftResult) -> str:
    return (
        f"count ×{result.ratio:.4f} ({100 * (result.ratio - 1):+.2f}%) over {result.runs_baseline} → "
        f"{result.runs_current} runs; flags changes beyond {result.mde_pct:g}%"
        + (f"; {result.note}" if result.note else "")
    )


def _describe(base_p95: float, cur_p95: float | None, result: DriftResult) -> str:
    if result.tail_ratio is not None:
        runs = result.runs_current
        text = (
            f"median ×{result.ratio:.3f} [{result.interval_label()} {_num(result.ci_low)}–{_num(result.ci_high)}] "
            f"over {result.runs_baseline} → {runs} runs, p(BH)={result.p_value:.4f}, smallest change it could flag: "
            f"{reach(result.mde_pct, runs)}; p95 {base_p95:.3f} → {_num(cur_p95)} ms, tail ×{result.tail_ratio:.3f} "
            f"[{result.interval_label(tail=True)} {_num(result.tail_ci_low)}–{_num(result.tail_ci_high)}]: this "
            f"runner's p95 can only reveal changes above {reach(result.tail_mde_pct, runs)}"
        )
        return text + (f"; {result.note}" if result.note else "")
    text = f"p95 {base_p95:.3f} → {_num(cur_p95)} ms, ratio ×{result.ratio:.3f}"
    if result.ci_low != result.ci_high and math.isfinite(result.ci_high):
        text += f" [{100 * (1 - 2 * stats.DRIFT_ALPHA):g}% CI {_num(result.ci_low)}–{_num(result.ci_high)}]"
    if result.p_value is not None:
        text += f", p(BH)={result.p_value:.4f}"
    if math.isfinite(result.mde_pct):
        text += f"; smallest change it could flag: {reach(result.mde_pct, result.runs_current)}"
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
            "kind": "hologram-drift/2",
            "baseline": {
                "path": self.baseline.path,
                "schema": self.baseline.schema,
                "label": self.baseline.label,
                "created": self.baseline.created,
                "provenance": self.baseline.provenance,
            },
            "threshold_pct": self.threshold_pct,
            "alpha": stats.RUN_DRIFT_ALPHA,
            "tail_alpha": stats.TAIL_DRIFT_ALPHA,
            "passed": self.passed,
            "drifts": [asdict(d) for d in self.drifts],
        }

    def lines(self) -> list[str]:
        blocking = [d for d in self.drifts if d.blocks]
        head = "PASS" if self.passed else "FAIL"
        summary = f"{len(blocking)} blocking" if blocking else "no significant regression"
        return [
            f"baseline drift: {head} vs {self.baseline.path} ({self.baseline.label}); threshold "
            f"{self.threshold_pct:g}%, BH-adjusted alpha {stats.RUN_DRIFT_ALPHA:g} (median) / "
            f"{stats.TAIL_DRIFT_ALPHA:g} (p95): {summary}"
        ] + [f"  {d.status.upper():<12} {d.metric}: {d.reason}" for d in self.drifts]


def promote(
    metrics: dict[str, MetricData], path: Path, provenance: dict[str, object], *, gate_passed: bool, force: bool
) -> Path:
    """Write a new baseline (atomically). Baselines come from green runs on main, with runs enough to measure the
    noise between processes, unless forced."""
    branch = provenance.get("branch")
    if branch != "main" and not force:
        raise Refused(
            f"refusing to promote a baseline from branch {branch!r}: baselines come from main (--force overrides)",
            exit_code=2,
        )
    few = sorted(
        key
        for key, data in metrics.items()
        if data.runs and data.suite != "e2e" and not is_counted(key) and data.run_count < stats.MIN_RUNS
    )
    if few and not force:
        raise Refused(
            f"refusing to promote a baseline of {metrics[few[0]].run_count} run(s) ({', '.join(few)}): a baseline "
            f"needs at least {stats.MIN_RUNS} runs to measure the noise between processes (`hologram perf collect "
            "--runs 10`; --force overrides)",
            exit_code=2,
        )
    if not gate_passed and not force:
        raise Refused("refusing to promote a baseline after a failed perf gate (--force overrides)", exit_code=1)
    document = baseline_document(metrics, provenance)
    if not document["metrics"]:
        raise InputError("no raw samples to promote: run `hologram perf collect` first")
    return write_baseline(path, document)


def from_history(runs: HistoryRuns) -> Baseline:
    """The last green main runs of the history store as a baseline: one run-level entry per earlier report."""
    metrics = {
        key: BaselineMetric(runs.p95_ms[key], runs.n[key], (), RunLogs(centre, runs.tail_logs[key], runs.p95_ms[key]))
        for key, centre in runs.centre_logs.items()
    }
    first, last = (runs.commits[0] or "?")[:8], (runs.commits[-1] or "?")[:8]
    origin: dict[str, object] = {"runs": len(runs.run_ids), "commits": f"{first}..{last}", "run_ids": runs.run_ids}
    return Baseline(str(runs.store), HISTORY, None, origin, metrics)


def select_baseline(path: Path, history: HistoryRuns | None, *, required: bool) -> tuple[Baseline | None, list[str]]:
    """The drift baseline and a note saying which: the history store's last green main runs when it holds at least
    MIN_RUNS of them, else baseline.json (None when absent and not `required`; absent and required: InputError)."""
    if history is not None and len(history.run_ids) >= stats.MIN_RUNS:
        chosen = from_history(history)
        return chosen, [f"drift judged against the {chosen.label} in {history.store}"]
    notes = []
    if history is not None:
        judged = f": drift judged against {path}" if path.exists() else ""
        notes.append(
            f"the history store has {len(history.run_ids)} green main run(s), fewer than {stats.MIN_RUNS}{judged}"
        )
    return (read_baseline(path) if path.exists() or required else None), notes


def compare(
    baseline: Baseline,
    current: dict[str, MetricData],
    threshold_pct: float,
    settings: GateSettings,
    noise: dict[str, object] | None = None,
) -> DriftReport:
    """The drift report of a run against a baseline (what `hologram baseline compare` prints)."""
    drifts = compare_metric_sets(baseline, current, threshold_pct, settings, noise)
    return DriftReport(baseline, threshold_pct, drifts)
