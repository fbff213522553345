"""Text the notebooks display (Markdown) and the JSON files they write next to the report.

Markdown in a notebook becomes HTML in the report, raw HTML, links and images included, so every value that comes
from outside (a service's error message, an event's fields, a file's contents or name) goes through `escape` first:
a GraphQL error `<img src=x onerror=…>` or a CID `[x](javascript:…)` must show as text — never run, never link, never
fetch anything (the report is offline).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hologram_lib import config, outside
from hologram_lib.baseline import Baseline, DriftReport
from hologram_lib.budgets import GateReport
from hologram_lib.e2e.summary import Summary
from hologram_lib.outcomes import Step
from hologram_lib.paired_documents import NoiseDocument
from hologram_lib.perf.files import MetricData
from hologram_lib.redact import redact
from hologram_lib.verdict_file import read_verdict


def escape(value: object) -> str:
    """Outside text made inert in Markdown that becomes HTML: secrets redacted (the configured ones and secret
    shapes), every Markdown / HTML metacharacter as a character reference, control and bidi characters written
    out (hologram_lib.outside.markdown)."""
    return outside.markdown(redact(str(value), config.secret_values()))


def verdict_markdown(path: Path) -> str:
    """The report's one verdict (verdict.json, computed once by `hologram report` / `hologram verdict --json`), shown
    above a notebook's own analysis — which, with other parameters, is exploration and never the gate."""
    document = read_verdict(path)
    if document is None:
        return (
            f"**No verdict at {escape(path)}.** The verdict is computed once, by `hologram report` (or `hologram "
            "verdict --json`); what follows is analysis with this notebook's parameters — exploration, not the gate."
        )
    reasons = [str(r) for r in document["reasons"]] if isinstance(document.get("reasons"), list) else []
    head = "**Verdict of this report: PASS**" if document["passed"] else "**Verdict of this report: FAIL**"
    lines = [f"{head} ({escape(path)}, computed once by the runner)."]
    lines += [f"- {escape(reason)}" for reason in reasons]
    lines.append(
        "\n_Below: analysis with this notebook's parameters. Changed in JupyterLab it is exploration, not the gate._"
    )
    return "\n".join(lines)


def gate_markdown(gate: GateReport, metrics: dict[str, MetricData], perf_dir: str) -> str:
    if not metrics:
        return (
            f"**No perf data in {escape(perf_dir)}.** Run `hologram perf collect` (or `make report`); "
            "every budgeted metric below is `missing`, which fails the gate."
        )
    head = "**PASS**" if gate.passed else "**FAIL**"
    blocking = [v for v in gate.verdicts if v.blocks]
    lines = [
        f"{head} — profile `{gate.profile}`: "
        + (f"{len(blocking)} of {len(gate.verdicts)} budgets block." if blocking else "all budgets met.")
    ]
    lines += [f"- {escape(v.metric)} **{v.status}**: {escape(v.reason)}" for v in gate.verdicts]
    return "\n".join(lines)


def drift_markdown(drift: DriftReport) -> str:
    head = "**No significant regression**" if drift.passed else "**Regression**"
    blocking = [d for d in drift.drifts if d.blocks]
    lines = [
        f"{head} against {escape(drift.baseline.path)} ({escape(drift.baseline.label)}; "
        f"threshold {drift.threshold_pct:g}%, "
        f"per-run medians tested at one-sided α {drift.alpha:g}, per-run p95s at "
        f"{drift.tail_alpha:g}, each after Benjamini–Hochberg)."
    ]
    lines += [f"- {escape(d.metric)} **{d.status}**: {escape(d.reason)}" for d in blocking]
    if drift.baseline.schema in ("upstream-flat", "hologram-baseline/2"):
        lines.append(
            "- The baseline holds **one run**: the noise between processes is not measured, so it cannot say "
            "`regressed` unless asked (`--allow-one-run`). Promote a baseline from `hologram perf collect --runs 10`."
        )
    return "\n".join(lines)


def noise_markdown(noise: NoiseDocument | None) -> str:
    """What `hologram calibrate` measured about this runner (noise.json), or how to measure it."""
    if noise is None:
        return "_No calibration yet: `hologram calibrate` runs an A/A and records how noisy this runner is._"
    threshold = noise.threshold_pct if noise.threshold_pct is not None else math.nan
    alarms = noise.false_alarms
    rows = [
        f"A/A of {escape(noise.runs_per_group)} interleaved runs per group ({escape(noise.created)}): "
        + ("**no false alarm**." if not alarms else f"**false alarm on {escape(alarms)}**."),
        "",
        "| metric | between-run sd (log median) | (log p95) | median can reveal ≥ | p95 can reveal ≥ | "
        f"runs for {threshold:g}% vs a stored baseline (median / p95; — = none, use `hologram ab`) |",
        "|---|---|---|---|---|---|",
    ]
    for key, m in sorted(noise.metrics.items()):
        cells = [
            m["between_run_sd_log_median"],
            m["between_run_sd_log_p95"],
            f"{m['mde_median_pct']}%",
            f"{m['mde_p95_pct']}%",
            f"{m.get(f'runs_for_{threshold:g}pct_median') or '—'} / {m.get(f'runs_for_{threshold:g}pct_p95') or '—'}",
        ]
        rows.append("| " + " | ".join(escape(c) for c in [key, *cells]) + " |")
    return "\n".join(rows)


def provenance_row(baseline: Baseline) -> dict[str, Any]:
    row: dict[str, Any] = {"path": baseline.path, "schema": baseline.schema, "created": baseline.created}
    row.update({k: (json.dumps(v) if isinstance(v, dict) else v) for k, v in baseline.provenance.items()})
    return row


def e2e_markdown(summary: Summary) -> str:
    run = summary.latest_run
    lines = [escape(problem) for problem in summary.problems]
    if run is None:
        return "\n".join([*lines, "**No E2E runs recorded.** Run `hologram e2e probe`."])
    run_id, ts = escape(run["run_id"]), escape(run["ts"])
    if run["status"] == Step.OK:
        lines.append(f"**PASS** — latest run {run_id} ({ts}).")
    elif run["status"] == Step.SKIP:
        lines.append(f"**SKIPPED** — latest run {run_id}: {escape(run.get('reason'))}.")
    else:
        lines.append(
            f"**FAIL** — latest run {run_id} stopped at **{escape(run['failed_step'])}** (last ok: "
            f"{escape(run['last_ok'])}): {escape(run.get('error'))}"
        )
    return "\n\n".join(lines)


def deployment_markdown(summary: Summary) -> str:
    deployment = summary.latest_deployment
    if deployment is None:
        return "_No successful deployment recorded yet._"
    name, cid, ts = (escape(deployment[k]) for k in ("name", "cid", "ts"))
    return f"Latest successful deployment: {name} → {cid} ({ts})."


def cache_profiles_markdown(path: Path) -> str:
    if not path.exists():
        return f"_No cold / warm profiles recorded ({escape(path)} is absent)._"
    try:
        profiles = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        return f"**{escape(path)} is unreadable:** {escape(exc)}"
    rows = ["| metric | cold p95 ms | warm p95 ms | cold / warm |", "|---|---|---|---|"]
    for metric, entry in sorted(profiles.items()):
        if isinstance(entry, dict):
            cells = (metric, entry.get("cold_p95_ms", "—"), entry.get("warm_p95_ms", "—"), entry.get("ratio", "—"))
            rows.append("| " + " | ".join(escape(c) for c in cells) + " |")
    return "\n".join(rows)
