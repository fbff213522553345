"""The tables the notebooks and the index show, as pandas DataFrames built from the gate's own results."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from hologram_lib import config, outside
from hologram_lib.baseline import DriftReport
from hologram_lib.budgets import GateReport
from hologram_lib.e2e.summary import Summary
from hologram_lib.outcomes import Budget, Step
from hologram_lib.perf.files import MetricData
from hologram_lib.redact import redact


def styled(frame: pd.DataFrame, precision: int = 3, *, index: bool = False) -> Styler:
    """A table for a notebook page: every cell, row and column label redacted and HTML-escaped, with control and bidi
    characters written out. A Styler's default inserts strings as raw HTML: a metric name `<img src=x onerror=…>`
    from an imported history CSV ran as script in baseline_drift.html."""

    secrets = config.secret_values()

    def text(value: object) -> object:
        return outside.visible(redact(value, secrets)) if isinstance(value, str) else value

    shown = frame.map(text).rename(index=text, columns=text)
    style = shown.style.format(precision=precision, na_rep="—", escape="html")
    style = style.format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    return style if index else style.hide(axis="index")


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value


def perf_table(metrics: dict[str, MetricData], gate: GateReport) -> pd.DataFrame:
    """One row per measured metric: quantiles, the p95 interval, its budget and verdict (gate's own)."""
    verdicts = {v.metric: v for v in gate.verdicts}
    rows = []
    for key in sorted(set(metrics) | set(verdicts)):
        data, verdict = metrics.get(key), verdicts.get(key)
        row: dict[str, object] = {"metric": key, "runs": data.run_count if data else 0, "n": data.n if data else 0}
        if data is not None and data.samples is not None and len(data.samples):
            result = verdict.result if verdict else None
            low, high = (result.ci_low_ms, result.ci_high_ms) if result else data.p95_interval()
            row.update(
                p50_ms=data.sample_quantile(0.5),
                p95_ms=data.sample_quantile(0.95),
                p95_ci_low_ms=low,
                p95_ci_high_ms=_finite(high),
                p99_ms=data.sample_quantile(0.99),
            )
        elif data is not None and data.p95_ms is not None:
            row.update(p95_ms=data.p95_ms)
        row["budget_ms"] = verdict.budget_ms if verdict else None
        row["verdict"] = verdict.status if verdict else (Budget.SKIPPED if data and data.skip_reason else "no budget")
        row["runs_to_settle"] = verdict.result.runs_needed if verdict and verdict.result else None
        row["note"] = data.note if data else (verdict.reason if verdict else "")
        rows.append(row)
    columns = [
        "metric",
        "runs",
        "n",
        "p50_ms",
        "p95_ms",
        "p95_ci_low_ms",
        "p95_ci_high_ms",
        "p99_ms",
        "budget_ms",
        "verdict",
        "runs_to_settle",
        "note",
    ]
    return pd.DataFrame(rows).reindex(columns=columns)


def drift_table(report: DriftReport) -> pd.DataFrame:
    rows = []
    for d in report.drifts:
        r = d.result
        rows.append(
            {
                "metric": d.metric,
                "status": d.status,
                "baseline_p95_ms": d.baseline_p95_ms,
                "current_p95_ms": d.current_p95_ms,
                "baseline_runs": r.runs_baseline if r else None,
                "current_runs": r.runs_current if r else None,
                "ratio": r.ratio if r else None,
                "ci_low": _finite(r.ci_low) if r else None,
                "ci_high": _finite(r.ci_high) if r else None,
                "p_bh": r.p_value if r else None,
                "mde_pct": _finite(r.mde_pct) if r else None,
                "tail_ratio": r.tail_ratio if r else None,
                "tail_mde_pct": _finite(r.tail_mde_pct) if r and r.tail_mde_pct is not None else None,
                "note": (r.note if r and r.note else d.reason),
            }
        )
    return pd.DataFrame(rows)


def e2e_counts(summary: Summary) -> pd.DataFrame:
    frame = pd.DataFrame(summary.counts).T.fillna(0).astype(int)
    return frame.reindex(columns=[c.value for c in (Step.OK, Step.FAIL, Step.SKIP) if c in frame.columns])


def e2e_rates(summary: Summary) -> pd.DataFrame:
    return pd.DataFrame(summary.success_rate).T.rename_axis("step")


def last_run_steps(summary: Summary, events: list[dict[str, Any]]) -> pd.DataFrame:
    """The latest run's steps in order: status, duration and its error if any."""
    if summary.latest_run is None:
        return pd.DataFrame(columns=["step", "status", "duration_ms", "error"])
    run_id = summary.latest_run["run_id"]
    rows = [
        {
            "step": e["event"],
            "status": e.get("status"),
            "duration_ms": e.get("duration_ms"),
            "error": e.get("error") or e.get("reason") or "",
        }
        for e in events
        if e.get("run_id") == run_id and e["event"] != "run_end"
    ]
    return pd.DataFrame(rows)
