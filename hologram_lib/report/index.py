"""reports/index.html: the verdict at a glance, then the top p95 rows, drift, E2E, and links to the notebooks."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hologram_lib import atomic
from hologram_lib.drift import DriftResult
from hologram_lib.perf.files import MetricData, p95_interval
from hologram_lib.report.render import NotebookRun, page
from hologram_lib.status import Budget
from hologram_lib.verdict import Overall

TOP_ROWS = 10
MIN_ROW_SAMPLES = 20


def _e(value: object) -> str:
    return html.escape(str(value))


def _ms(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.3f}"


def _table(headers: list[str], rows: list[list[str]], row_classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        f'<tr class="{(row_classes or [""] * len(rows))[i]}">' + "".join(f"<td>{c}</td>" for c in row) + "</tr>"
        for i, row in enumerate(rows)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _banner(verdict: Overall) -> str:
    kind = "pass" if verdict.passed else "fail"
    checked = (
        ["budgets met"]
        + (["no significant drift"] if verdict.drift is not None else [])
        + (
            ["E2E green"]
            if "e2e" not in verdict.missing
            and verdict.e2e
            and verdict.e2e.latest_run
            and verdict.e2e.latest_run["status"] == "ok"
            else []
        )
    )
    title = "PASS — " + ", ".join(checked) if verdict.passed else "FAIL"
    reasons = "".join(f"<li>{_e(r)}</li>" for r in verdict.reasons)
    notes = "".join(f"<li>{_e(n)}</li>" for n in verdict.notes)
    return (
        f'<div class="banner {kind}" id="verdict">Verdict: {_e(title)}'
        + (f"<ul>{reasons}</ul>" if reasons else "")
        + "</div>"
        + (f'<div class="banner warn" id="notes"><ul>{notes}</ul></div>' if notes else "")
    )


def _perf_section(verdict: Overall, metrics: dict[str, MetricData]) -> str:
    by_metric = {v.metric: v for v in verdict.gate.verdicts}
    rows = []
    for key, data in metrics.items():
        # A p95 of a handful of samples (one E2E run adds one per step) says nothing at a glance: those rows
        # live in the E2E section and the perf notebook.
        if data.p95_ms is None or (key not in by_metric and data.n < MIN_ROW_SAMPLES):
            continue
        result = by_metric[key].result if key in by_metric else None
        if result is not None:
            low, high = result.ci_low_ms, result.ci_high_ms
        elif data.samples is not None:
            low, high = p95_interval(data.runs, data.samples)
        else:
            low, high = math.nan, math.nan
        interval = f"{_ms(low)} – {_ms(high)}" if math.isfinite(high) else "— (too few samples)"
        budget = by_metric[key].budget_ms if key in by_metric else None
        status = by_metric[key].status if key in by_metric else "no budget"
        rows.append(
            (
                data.p95_ms / budget if budget else 0.0,
                data.p95_ms,
                [_e(key), str(data.run_count), str(data.n), _ms(data.p95_ms), interval, _ms(budget), _e(status)],
            )
        )
    rows.sort(key=lambda r: (r[0], r[1]), reverse=True)
    missing = [v for v in verdict.gate.verdicts if v.status in (Budget.MISSING, Budget.SKIPPED)]
    extra = "".join(f"<li><b>{_e(v.metric)}</b> {_e(v.status)}: {_e(v.reason)}</li>" for v in missing)
    if not rows:
        table = "<p><b>No perf data.</b> Run <code>hologram perf collect</code> or <code>make report</code>.</p>"
    else:
        table = _table(
            ["metric", "runs", "n", "p95 ms", "95% CI ms (over runs)", "budget ms", "verdict"],
            [r[2] for r in rows[:TOP_ROWS]],
            [r[2][6] for r in rows[:TOP_ROWS]],
        )
    return (
        f"<h2>Top p95 rows <small>(profile {_e(verdict.gate.profile)}; worst against budget first)</small></h2>"
        f'<div id="perf">{table}</div>' + (f"<ul>{extra}</ul>" if extra else "")
    )


def _pct(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.0f}%"


def _drift_rows(results: Sequence[tuple[str, str, DriftResult | None]]) -> tuple[list[list[str]], list[str]]:
    rows = [
        [
            _e(metric),
            _e(status),
            f"{r.runs_baseline} / {r.runs_current}" if r else "—",
            f"×{r.ratio:.3f}" if r else "—",
            (f"{_ms(r.ci_low)} – {_ms(r.ci_high)}" if r else "—"),
            _pct(r.mde_pct) if r else "—",
            f"×{r.tail_ratio:.3f}" if r and r.tail_ratio is not None else "—",
            _pct(r.tail_mde_pct) if r else "—",
        ]
        for metric, status, r in results
    ]
    return rows, [status for _, status, _ in results]


DRIFT_HEADERS = ["metric", "status", "runs", "median ratio", "CI", "could flag ≥", "p95 ratio", "p95 could flag ≥"]


def _drift_section(verdict: Overall) -> str:
    if verdict.drift is None:
        return '<h2>Drift</h2><p id="drift">No baseline to compare with.</p>'
    rows, classes = _drift_rows([(d.metric, d.status, d.result) for d in verdict.drift.drifts])
    return (
        f"<h2>Drift vs baseline <small>(threshold {verdict.drift.threshold_pct:g}%; "
        f"{_e(verdict.drift.baseline.label)})</small></h2>"
        f'<div id="drift">{_table(DRIFT_HEADERS, rows, classes)}</div>'
    )


def _ab_section(verdict: Overall) -> str:
    ab = verdict.ab
    if ab is None:
        return ""
    results = [(k, m["status"], DriftResult(**m)) for k, m in sorted(ab["metrics"].items())]
    rows, classes = _drift_rows(results)
    return (
        f"<h2>Paired A/B <small>(head {_e(ab['head']['ref'])} vs base {_e(ab['base']['ref'])}, "
        f"{_e(ab['runs_per_side'])} interleaved runs per side)</small></h2>"
        f'<div id="ab">{_table(DRIFT_HEADERS, rows, classes)}</div>'
    )


def _noise_section(noise: dict[str, Any] | None) -> str:
    if not noise:
        return ""
    rows = [
        [
            _e(key),
            _e(m["between_run_sd_log_median"]),
            _e(m["between_run_sd_log_p95"]),
            _e(m["aa_status"]),
            _pct(m["mde_median_pct"]),
            _pct(m["mde_p95_pct"]),
        ]
        for key, m in sorted(noise["metrics"].items())
    ]
    headers = ["metric", "between-run sd (log median)", "… (log p95)", "A/A", "median could flag ≥", "p95 could flag ≥"]
    return (
        f"<h2>This runner's noise <small>(hologram calibrate, {_e(noise['created'])}, "
        f"{_e(noise['runs_per_group'])} runs per group)</small></h2>"
        f'<div id="noise">{_table(headers, rows)}</div>'
    )


def _e2e_section(verdict: Overall, events: list[dict[str, Any]]) -> str:
    summary = verdict.e2e
    if summary is None or summary.latest_run is None:
        return '<h2>E2E</h2><p id="e2e">No E2E events. Run <code>hologram e2e probe</code>.</p>'
    run = summary.latest_run
    counts = [[_e(event), *(str(c.get(s, 0)) for s in ("ok", "fail", "skip"))] for event, c in summary.counts.items()]
    steps = [
        [_e(e["event"]), _e(e.get("status")), _ms(e.get("duration_ms")), _e(e.get("error") or e.get("reason") or "")]
        for e in events
        if e.get("run_id") == run["run_id"] and e["event"] != "run_end"
    ]
    deployment = summary.latest_deployment
    deployed = (
        (
            f"<p>Latest successful deployment: <code>{_e(deployment['name'])}</code> → "
            f"<code>{_e(deployment['cid'])}</code></p>"
        )
        if deployment
        else ""
    )
    return (
        f"<h2>E2E <small>(latest run {_e(run['run_id'])}: {_e(run['status'])})</small></h2>{deployed}"
        f'<div id="e2e">{_table(["event", "ok", "fail", "skip"], counts)}'
        f"<h3>Last run, step by step</h3>{_table(['step', 'status', 'ms', 'error'], steps)}</div>"
    )


def write_index(
    path: Path,
    verdict: Overall,
    metrics: dict[str, MetricData],
    events: list[dict[str, Any]],
    runs: list[NotebookRun],
    commit: str | None,
    noise: dict[str, Any] | None = None,
) -> Path:
    links = "".join(
        f'<li><a href="{_e(r.html.name)}">{_e(r.name.replace("_", " "))}</a>'
        + (f' — <b class="failed">failed</b>: {_e(r.error)}' if not r.ok else "")
        + "</li>"
        for r in runs
    )
    made = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    meta = f'<p class="meta">commit {_e(commit or "unknown")} · profile {_e(verdict.gate.profile)} · made {made}</p>'
    body = (
        meta
        + _banner(verdict)
        + _perf_section(verdict, metrics)
        + _drift_section(verdict)
        + _ab_section(verdict)
        + _noise_section(noise)
        + _e2e_section(verdict, events)
        + f'<h2>Notebooks</h2><ul id="notebooks">{links}</ul>'
    )
    return atomic.write_text(path, _index_page(body))


def _index_page(body: str) -> str:
    """The front page: a report page without the link back to itself."""
    return page("Hologram Pipeline report", body).replace('<a href="index.html">← Hologram report</a> · ', "")


def write_unjudged_index(path: Path, state: str, why: str) -> Path:
    """An index that says there is no verdict for this run, and why (in progress, or what could not be judged)."""
    made = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    body = (
        f'<p class="meta">{_e(made)}</p>'
        f'<div class="banner fail" id="verdict">Verdict: {_e(state)} — no verdict for this run<ul><li>{_e(why)}</li>'
        "</ul></div>"
    )
    return atomic.write_text(path, _index_page(body))
