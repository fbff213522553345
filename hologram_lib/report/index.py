"""reports/index.html: the verdict at a glance, then the top p95 rows, drift, E2E, and links to the notebooks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hologram_lib import atomic, config, outside
from hologram_lib.attribution import moved_functions
from hologram_lib.clock import utc_stamp
from hologram_lib.drift import DriftResult, reach
from hologram_lib.history.records import metric_row
from hologram_lib.history.series import Trend, drift_rows
from hologram_lib.outcomes import Budget, Drift, Step
from hologram_lib.paired_documents import AbDocument, NoiseDocument
from hologram_lib.perf.files import MetricData
from hologram_lib.redact import redact
from hologram_lib.report.render import NotebookRun, page
from hologram_lib.units import ms
from hologram_lib.verdict import Overall

HISTORY_LINK = (
    '<p id="history-link"><a href="history.html">History by commit</a> — every run of the history store: '
    "interactive charts per metric and machine, change points, compare any two runs</p>"
)
TOP_ROWS = 10
MIN_ROW_SAMPLES = 20


def _e(value: object) -> str:
    """Outside text as HTML text: secrets redacted, escaped, control and bidi characters written out."""
    return outside.html(redact(str(value), config.secret_values()))


def _table(headers: list[str], rows: list[list[str]], row_classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        f'<tr class="{_e((row_classes or [""] * len(rows))[i])}">' + "".join(f"<td>{c}</td>" for c in row) + "</tr>"
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
            and verdict.e2e.latest_run["status"] == Step.OK
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
            low, high = data.p95_interval()
        else:
            low, high = math.nan, math.nan
        interval = f"{ms(low)} – {ms(high)}" if math.isfinite(high) else "— (too few samples)"
        budget = by_metric[key].budget_ms if key in by_metric else None
        status = by_metric[key].status if key in by_metric else "no budget"
        rows.append(
            (
                data.p95_ms / budget if budget else 0.0,
                data.p95_ms,
                [_e(key), str(data.run_count), str(data.n), ms(data.p95_ms), interval, ms(budget), _e(status)],
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
            (f"{ms(r.ci_low)} – {ms(r.ci_high)}" if r else "—"),
            _e(reach(r.mde_pct, r.runs_current)) if r else "—",
            f"×{r.tail_ratio:.3f}" if r and r.tail_ratio is not None else "—",
            _e(reach(r.tail_mde_pct, r.runs_current)) if r else "—",
        ]
        for metric, status, r in results
    ]
    return rows, [status for _, status, _ in results]


DRIFT_HEADERS = [
    "metric",
    "status",
    "runs",
    "median ratio",
    "BH-adjusted CI",
    "could flag ≥",
    "p95 ratio",
    "p95 could flag ≥",
]


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
    results = [(k, m["status"], DriftResult(**m)) for k, m in sorted(ab.metrics.items())]
    rows, classes = _drift_rows(results)
    return (
        f"<h2>Paired A/B <small>(head {_e(ab.head['ref'])} vs base {_e(ab.base['ref'])}, "
        f"{_e(ab.runs_per_side)} interleaved runs per side)</small></h2>"
        f'<div id="ab">{_table(DRIFT_HEADERS, rows, classes)}</div>{_moved_functions_section(ab)}'
    )


MOVED_HEADERS = ["function", "self base → head", "Δ self", "share of the change", "inclusive base → head"]


def _moved_functions_section(ab: AbDocument) -> str:
    """Under the A/B table: for each counted regression, the C functions whose instructions moved most."""
    parts = []
    for key, functions in moved_functions(ab).items():
        rows = [
            [
                _e(f.name),
                f"{f.base_self:,.0f} → {f.head_self:,.0f}",
                f"{f.delta_self:+,.0f}",
                f"{f.share_pct:.0f} %",
                f"{f.base_inclusive:,.0f} → {f.head_inclusive:,.0f}",
            ]
            for f in functions
        ]
        parts.append(
            f"<h3>Where {_e(key)} went <small>(instructions per call)</small></h3>{_table(MOVED_HEADERS, rows)}"
        )
    return f'<div id="moved-functions">{"".join(parts)}</div>' if parts else ""


def _noise_section(noise: NoiseDocument | None) -> str:
    if noise is None:
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
        for key, m in sorted(noise.metrics.items())
    ]
    headers = ["metric", "between-run sd (log median)", "… (log p95)", "A/A", "median could flag ≥", "p95 could flag ≥"]
    return (
        f"<h2>This runner's noise <small>(hologram calibrate, {_e(noise.created)}, "
        f"{_e(noise.runs_per_group)} runs per group)</small></h2>"
        f'<div id="noise">{_table(headers, rows)}</div>'
    )


def _img(png: bytes, alt: str, element_id: str) -> str:
    import base64

    data = base64.b64encode(png).decode("ascii")
    return f'<img id="{_e(element_id)}" alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _trend_chart(key: str, found: Trend, data: MetricData | None, current_run: str, budget: float | None) -> str:
    """A budgeted metric's trend over main, with this run circled: in main's series when it is one of them, else
    added after them (a PR's run against main's trend)."""
    from hologram_lib.report import charts

    series = found.series
    medians, p95s = list(series.level_ms), list(series.p95_ms)
    current = series.run_ids.index(current_run) if current_run in series.run_ids else None
    row = metric_row(data) if data is not None and current is None else None
    if row is not None and row.level_ms is not None and row.p95_ms is not None:
        medians.append(row.level_ms)
        p95s.append(row.p95_ms)
        current = len(medians) - 1
    figure = charts.trend(key, medians, p95s, found.changes, budget_ms=budget, current=current)
    return _img(charts.png(figure), f"{key}: median and p95 over {len(medians)} runs", f"trend-{key}")


def _trend_section(trends: dict[str, Trend], verdict: Overall, metrics: dict[str, MetricData], current_run: str) -> str:
    budgets = {v.metric: v.budget_ms for v in verdict.gate.verdicts if v.budget_ms is not None}
    if not trends:
        return (
            '<h2>Trends</h2><p id="trends">No history of main yet: each <code>make report</code> on main adds a run '
            "to the history store (<code>hologram history import</code> adds old artifacts).</p>"
        )
    charts = "".join(
        _trend_chart(key, trends[key], metrics.get(key), current_run, budget)
        for key, budget in sorted(budgets.items())
        if key in trends
    )
    return (
        "<h2>Trends on main <small>(per run: median and p95; dashed: budget; dotted: change points; circled: this "
        f'run)</small></h2><div id="trends" class="trends">{charts}</div>'
    )


def _slow_drift_section(trends: dict[str, Trend], threshold_pct: float) -> str:
    if not trends:
        return ""
    found = drift_rows(trends, threshold_pct)
    rows = [
        [
            _e(row["metric"]),
            _e(row["runs"]),
            f"×{row['last ÷ first']:.3f}" if row["last ÷ first"] is not None else "—",
            _e(row["change points"]),
            _e(row["latest change"] or "—"),
        ]
        for row in found
    ]
    headers = ["metric", "runs", "last 10 runs ÷ first 10", "change points", "latest change"]
    return (
        "<h2>Slow drift on main <small>(change points in each metric's series of runs; a row in red moved beyond "
        f"{threshold_pct:g}% in steps no single comparison flagged)</small></h2>"
        f'<div id="slow-drift">{_table(headers, rows, [Drift.REGRESSED if r["drifted"] else "" for r in found])}</div>'
    )


def _budget_chart(verdict: Overall, metrics: dict[str, MetricData]) -> str:
    from hologram_lib.report import charts, tables

    table = tables.perf_table(metrics, verdict.gate)
    if not (table["budget_ms"].notna() & table["p95_ms"].notna()).any():
        return ""
    return _img(charts.png(charts.p95_against_budget(table)), "p95 against budget per metric", "budget-chart")


def _e2e_section(verdict: Overall, events: list[dict[str, Any]]) -> str:
    summary = verdict.e2e
    if summary is None or summary.latest_run is None:
        return '<h2>E2E</h2><p id="e2e">No E2E events. Run <code>hologram e2e probe</code>.</p>'
    run = summary.latest_run
    shown = (Step.OK, Step.FAIL, Step.SKIP)
    counts = [[_e(event), *(str(c.get(s, 0)) for s in shown)] for event, c in summary.counts.items()]
    steps = [
        [_e(e["event"]), _e(e.get("status")), ms(e.get("duration_ms")), _e(e.get("error") or e.get("reason") or "")]
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
        f'<div id="e2e">{_table(["event", *shown], counts)}'
        f"<h3>Last run, step by step</h3>{_table(['step', 'status', 'ms', 'error'], steps)}</div>"
    )


def write_index(
    path: Path,
    verdict: Overall,
    metrics: dict[str, MetricData],
    events: list[dict[str, Any]],
    runs: list[NotebookRun],
    commit: str | None,
    noise: NoiseDocument | None = None,
    trends: dict[str, Trend] | None = None,
    current_run: str = "",
    history: str = "",
) -> Path:
    links = "".join(
        f'<li><a href="{_e(r.html.name)}">{_e(r.name.replace("_", " "))}</a>'
        + (f' — <b class="failed">failed</b>: {_e(r.error)}' if not r.ok else "")
        + "</li>"
        for r in runs
    )
    made = utc_stamp()
    meta = f'<p class="meta">commit {_e(commit or "unknown")} · profile {_e(verdict.gate.profile)} · made {made}</p>'
    body = (
        meta
        + _banner(verdict)
        + _perf_section(verdict, metrics)
        + _budget_chart(verdict, metrics)
        + _trend_section(trends or {}, verdict, metrics, current_run)
        + (f'<p class="meta" id="history">{_e(history)}</p>' if history else "")
        + (HISTORY_LINK if (path.parent / "history.html").exists() else "")
        + _slow_drift_section(trends or {}, verdict.drift.threshold_pct if verdict.drift else 10.0)
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
    made = utc_stamp()
    body = (
        f'<p class="meta">{_e(made)}</p>'
        f'<div class="banner fail" id="verdict">Verdict: {_e(state)} — no verdict for this run<ul><li>{_e(why)}</li>'
        "</ul></div>"
    )
    return atomic.write_text(path, _index_page(body))
