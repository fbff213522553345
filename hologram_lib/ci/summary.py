"""The job summary: Markdown for `$GITHUB_STEP_SUMMARY` — the verdict and why, the p95s against their budgets
(worst first, with intervals), drift or the paired A/B and what it was judged from, E2E highlights, the run's
artifacts, and how noisy the runner is. Bounded by GitHub's 1 MiB per step: long tables are cut first, then the
text, each with a note saying so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hologram_lib import outside
from hologram_lib.attribution import moved_functions
from hologram_lib.ci.facts import Facts, read_bisect, worst_first
from hologram_lib.config import secret_values
from hologram_lib.drift import DriftResult, reach
from hologram_lib.errors import InputError
from hologram_lib.outcomes import Step
from hologram_lib.paired_documents import AbDocument, read_noise
from hologram_lib.redact import redact
from hologram_lib.report.pages import cache_profiles_markdown
from hologram_lib.units import ms as _ms  # one formatter for every page (units.ms)
from hologram_lib.verdict import Overall

LIMIT_BYTES = 1024 * 1024  # GitHub's limit for one step's summary
MAX_ROWS = 40  # per table: a summary is read at a glance; the full tables are in the report
_CUT = "\n\n_…cut here: the job summary is limited to 1 MiB; the whole story is in the report artifact._\n"


def cell(value: object) -> str:
    """A Markdown table cell: pipes and newlines would break the table."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def text(value: object) -> str:
    """Outside text (a metric or step name, an error, a ref, a CID) redacted, as literal Markdown: no link, image,
    HTML, emphasis or table pipe (hologram_lib.outside.markdown). Never inside a code span."""
    return outside.markdown(redact(str(value), secret_values()))


def table(header: Iterable[str], rows: Sequence[Sequence[object]], more: str) -> list[str]:
    head = list(header)
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows[:MAX_ROWS]]
    if len(rows) > MAX_ROWS:
        out.append(f"\n_{len(rows) - MAX_ROWS} more {more} in the report._")
    return out


def headline(facts: Facts) -> list[str]:
    verdict = facts.verdict
    if verdict is None:
        return ["## Hologram Pipeline: ⚠️ could not judge", "", f"**Why:** {text(facts.problem)}"]
    mark = "✅ PASS" if verdict.passed else "❌ FAIL"
    out = [f"## Hologram Pipeline: {mark} (profile `{verdict.gate.profile}`)", ""]
    if verdict.reasons:
        out += ["**Why it failed:**", *[f"- {text(r)}" for r in verdict.reasons]]
    else:
        out.append(f"**Why it passed:** {text(verdict.why_passed())}.")
    out += [f"- _note:_ {text(n)}" for n in verdict.notes]
    return out


def budget_table(verdict: Overall) -> list[str]:
    rows = budget_rows(worst_first(verdict))
    if not rows:
        return ["### p95 against the budgets", "", "_No budgeted metric._"]
    return ["### p95 against the budgets (worst first)", "", *table(BUDGET_HEADER, rows, "metrics")]


BUDGET_HEADER = ("metric", "verdict", "p95 ms", "95 % interval ms", "budget ms", "p95 / budget", "runs × samples")
DRIFT_HEADER = (
    "metric",
    "verdict",
    "baseline p95 ms",
    "p95 ms",
    "median ratio [BH-adj. CI]",
    "p95 ratio",
    "could flag ≥",
)


def budget_rows(verdicts: Iterable[Any]) -> list[list[object]]:
    """One row per budget verdict (the job summary's table and the PR comment's)."""
    rows: list[list[object]] = []
    for v in verdicts:
        r = v.result
        interval = "—" if r is None else f"{_ms(r.ci_low_ms)} – {_ms(r.ci_high_ms)}"
        ratio = "—" if r is None or not v.budget_ms else f"{r.p95_ms / v.budget_ms:.3g}"
        runs = "—" if r is None else f"{r.runs} × {r.n // max(r.runs, 1)}"
        status = f"**{v.status}**" if v.blocks else v.status
        rows.append(
            [text(v.metric), status, _ms(None if r is None else r.p95_ms), interval, f"{v.budget_ms:g}", ratio, runs]
        )
    return rows


def drift_section(facts: Facts) -> list[str]:
    verdict = facts.verdict
    assert verdict is not None
    out = ["### Drift"]
    if verdict.ab is not None:
        ab = verdict.ab
        out.append(
            f"\nJudged by a **paired A/B** against {text(ab.base['ref'])} ({text(ab.runs_per_side)} "
            "interleaved runs per side), and against the baseline below when there is one."
        )
        rows = ab_rows(dict(sorted(ab.metrics.items())))
        out += ["", *table(AB_HEADER, rows, "metrics")]
        out += attribution_markdown(ab)  # counted regressions: the functions that moved
    fetched = f" (fetched: {text(facts.baseline_source)})" if facts.baseline_source else ""
    if verdict.drift is None:
        out += ["", f"Baseline: {text(verdict.source.line())}{fetched}."]
        return out
    out += ["", f"Baseline: {text(verdict.source.line())}{fetched}; threshold {verdict.drift.threshold_pct:g} %."]
    rows = drift_rows(sorted(verdict.drift.drifts, key=lambda d: (not d.blocks, d.metric)))
    return [*out, "", *table(DRIFT_HEADER, rows, "metrics")]


AB_HEADER = ("metric (A/B)", "verdict", "median ratio head / base", "could flag ≥")


def ab_rows(metrics: dict[str, Any]) -> list[list[object]]:
    """One row per metric of a paired A/B (ab.json's `metrics`), in the given order."""
    return [
        [
            text(key),
            text(m["status"]),
            _ratio(m.get("ratio"), m.get("ci_low"), m.get("ci_high")),
            _pct(m.get("mde_pct")),
        ]
        for key, m in metrics.items()
    ]


def drift_rows(drifts: Iterable[Any]) -> list[list[object]]:
    """One row per drift verdict against the baseline (the job summary's table and the PR comment's)."""
    rows: list[list[object]] = []
    for d in drifts:
        status = f"**{d.status}**" if d.blocks else d.status
        rows.append([text(d.metric), status, _ms(d.baseline_p95_ms), _ms(d.current_p95_ms), *_drift_cells(d.result)])
    return rows


def _drift_cells(r: DriftResult | None) -> list[str]:
    """Current / baseline of the per-run medians and of the p95, each with its interval, and the smallest changes
    they could flag (median / p95): the verdict rests on both."""
    if r is None:
        return ["—", "—", "—"]
    tail = _ratio(r.tail_ratio, r.tail_ci_low, r.tail_ci_high)
    reaches = f"{reach(r.mde_pct, r.runs_current)} / {reach(r.tail_mde_pct, r.runs_current)}"
    return [_ratio(r.ratio, r.ci_low, r.ci_high), tail, reaches]


def _ratio(ratio: Any, low: Any, high: Any) -> str:
    if not isinstance(ratio, int | float):
        return "—"
    interval = f" [{low:.3f}–{high:.3f}]" if isinstance(low, int | float) and isinstance(high, int | float) else ""
    return f"×{ratio:.3f}{interval}"


def _pct(value: Any) -> str:
    return f"{value:.0f} %" if isinstance(value, int | float) and math.isfinite(value) else "—"


def e2e_section(verdict: Overall) -> list[str]:
    e2e = verdict.e2e
    out = ["### E2E", ""]
    if e2e is None or e2e.latest_run is None:
        return [*out, "_No E2E run recorded._"]
    run = e2e.latest_run
    if run["status"] == Step.OK:
        state = "passed"
    elif run["status"] == Step.SKIP:
        state = f"skipped ({text(run.get('reason') or '')})"
    else:
        error = text(run.get("error") or "")
        state = f"**failed at {text(run['failed_step'])}** (last ok: {text(run['last_ok'])}): {error}"
    out.append(f"Latest run {text(run['run_id'])} {state}.")
    steps = latest_steps(Path(e2e.path), str(run["run_id"]))
    if steps:
        out.append(f"Steps: {steps}.")
    if e2e.latest_deployment:
        d = e2e.latest_deployment
        out.append(f"Latest successful deployment: {text(d['name'])} → {text(d['cid'])} ({text(d['ts'])}).")
    rows = [[text(step), f"{r['ok']}/{r['runs']}", f"{100 * r['rate']:.0f} %"] for step, r in e2e.success_rate.items()]
    if rows:
        out += ["", *table(("step", "ok / runs", "success"), rows, "steps")]
    return out


def latest_steps(events: Path, run_id: str) -> str:
    """The latest run's steps in order, each with its status and duration: `preflight ok 2.5 ms → …`."""
    from hologram_lib.e2e.events import read_events

    try:
        lines, _ = read_events(events)
    except InputError:
        return ""
    steps = [x.record for x in lines if x.record.get("run_id") == run_id and x.record.get("event") != "run_end"]
    return " → ".join(
        f"{text(r['event'])} {text(r.get('status', '?'))} {_ms(_number(r.get('duration_ms')))} ms" for r in steps
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def noise_line(facts: Facts) -> list[str]:
    noise = read_noise(facts.reports.perf.root)
    if noise is None:
        return ["**Noise:** not measured on this runner (the nightly job runs `hologram calibrate`)."]
    alarms = noise.false_alarms
    worst = max(noise.metrics.items(), key=lambda item: float(item[1].get("mde_p95_pct") or 0.0), default=None)
    reach = "" if worst is None else f"; the p95 of {text(worst[0])} can reveal ≥{text(worst[1].get('mde_p95_pct'))} %"
    state = "A/A clean" if not alarms else f"A/A false alarm on {text(', '.join(map(str, alarms)))}"
    return [f"**Noise:** {state} ({text(noise.runs_per_group)} interleaved runs per group){reach}."]


def artifacts_section(facts: Facts) -> list[str]:
    links = facts.links
    if links.run_url is None:
        return ["### Artifacts", "", f"_{links.note}._ Locally: `reports/index.html`."]
    return [
        "### Artifacts",
        "",
        f"- [hologram-report]({links.artifacts_url}) — `index.html` (the dashboard), the notebooks' pages, "
        "`perf/*.csv`, `e2e/events.jsonl`, `badge.svg`",
        f"- [this run]({links.run_url})",
    ]


def render(facts: Facts) -> str:
    """The whole summary, at most LIMIT_BYTES of UTF-8."""
    lines = headline(facts)
    if facts.verdict is not None:
        lines += ["", *budget_table(facts.verdict), "", *drift_section(facts), "", *e2e_section(facts.verdict)]
        if facts.cache_profiles is not None:
            lines += ["", "### Cold vs warm", "", cache_profiles_markdown(facts.reports.perf.cache_profiles)]
        lines += ["", *noise_line(facts)]
    lines += bisect_section(facts.reports.perf.root / "bisect.json")
    lines += ["", *artifacts_section(facts)]
    return bounded("\n".join(lines) + "\n")


def bounded(text: str, limit: int = LIMIT_BYTES, cut: str = _CUT) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    keep = data[: limit - len(cut.encode("utf-8"))].decode("utf-8", errors="ignore")
    return keep[: keep.rfind("\n") + 1] + cut


def attribution_markdown(ab: AbDocument) -> list[str]:
    """For each counted regression of an ab.json, the C functions that moved most (hologram_lib.attribution)."""
    out = []
    for key, functions in moved_functions(ab).items():
        out += ["", f"Where {text(key)} went (C functions, instructions per call, base → head):", ""]
        out += ["| function | self | Δ self | share of the change | inclusive |", "|---|---|---|---|---|"]
        out += [
            f"| {text(f.name)} | {f.base_self:,.0f} → {f.head_self:,.0f} | {f.delta_self:+,.0f} | "
            f"{f.share_pct:.0f} % | {f.base_inclusive:,.0f} → {f.head_inclusive:,.0f} |"
            for f in functions
        ]
    return out


def bisect_section(path: Path) -> list[str]:
    """`hologram bisect`'s answer (perf/bisect.json) when this job ran one: the first bad commit, its Δ per metric and
    the C functions that moved; nothing when this job ran none."""
    try:
        document = read_bisect(path)
        if document is None:
            return []
        answer = document["answer"]
        lines = [
            "",
            "### Bisect",
            "",
            f"{text(answer['message'])} ({text(document['measured_commits'])} measured commits)",
        ]
        first_bad = answer.get("first_bad") or {}
        for key, pct in first_bad.get("delta_pct_vs_parent", {}).items():
            lines.append(f"- {text(key)}: {float(pct):+.2f} % vs its parent")
        for key, functions in first_bad.get("functions", {}).items():
            if functions:
                lines.append(
                    f"- where {text(key)} went: "
                    + ", ".join(
                        f"{text(str(f['function'])[:80])} {float(f['delta_self']):+,.0f}" for f in functions[:3]
                    )
                )
        return lines
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return ["", "### Bisect", "", f"_perf/bisect.json could not be read ({type(exc).__name__})._"]
