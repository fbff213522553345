"""The overall verdict: budget gate + baseline drift + a paired A/B of this commit + the latest E2E run.

`judge` is the one judge. `hologram verdict` (`make gate`) and `hologram report` call it and write verdict.json —
the verdict plus the inputs it was judged from (profile, threshold, which baseline, the exact history runs);
`summary`, `badge`, `notify`, `ci-outputs` and the notebooks call `judge_report`, which reads those inputs back
and calls `judge` on them, so no output can tell another story than the exit code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hologram_lib import atomic, config, provenance, verdict_file
from hologram_lib.baseline import DriftReport, compare
from hologram_lib.budgets import GateReport, evaluate
from hologram_lib.config import GateSettings
from hologram_lib.e2e.summary import Summary, summarize
from hologram_lib.errors import InputError
from hologram_lib.history.baseline_source import BaselineSpec, Source, choose
from hologram_lib.layout import Reports
from hologram_lib.outcomes import Step
from hologram_lib.paired_documents import AbDocument, NoiseDocument, read_ab, read_noise
from hologram_lib.perf.files import load_perf_dir

KIND = "hologram-verdict/2"


@dataclass(frozen=True)
class Inputs:
    """Everything a verdict is judged from. `ab`: a named A/B file (must exist); None: PERF_DIR/ab.json if any.
    `commit`: the commit being judged — an A/B whose head is another commit is stale and ignored."""

    perf_dir: Path
    events: Path
    settings: GateSettings
    threshold_pct: float
    baseline: BaselineSpec = field(default_factory=BaselineSpec)
    ab: Path | None = None
    commit: str | None = None


@dataclass(kw_only=True)
class Overall:
    passed: bool
    reasons: list[str]
    notes: list[str]
    gate: GateReport
    drift: DriftReport | None = None
    e2e: Summary | None = None
    missing: list[str] = field(default_factory=list)
    ab: AbDocument | None = None  # the A/B used (of the commit judged); None when absent or stale
    source: Source = field(default_factory=lambda: Source("none", "not compared"))
    inputs: Inputs | None = None

    def lines(self) -> list[str]:
        head = "PASS" if self.passed else "FAIL"
        out = [f"verdict: {head} (profile {self.gate.profile})"]
        out += [f"  why: {r}" for r in self.reasons] + [f"  note: {n}" for n in self.notes]
        return out

    def why_passed(self) -> str:
        """What a PASS rests on, in words that never claim a comparison that was not made."""
        parts = ["every budget met"]
        if self.drift is not None:
            parts.append(f"no significant drift against {self.source.line()}")
        else:
            parts.append("drift against a baseline not compared (no baseline)")
        if self.ab is not None:
            parts.append(f"no regression in the paired A/B vs {self.ab.base['ref']}")
        e2e = self.e2e.latest_run if self.e2e is not None else None
        parts.append("the latest E2E run passed" if e2e is not None and e2e["status"] == Step.OK else "no E2E failure")
        return ", ".join(parts)


def with_reasons(result: Overall, reasons: list[str]) -> Overall:
    """The verdict with more reasons to fail (the optional change-point gate)."""
    return replace(result, passed=result.passed and not reasons, reasons=[*result.reasons, *reasons])


def judge(inputs: Inputs) -> Overall:
    """Judge everything the pipeline recorded; absent inputs are named (and fail where the profile says so)."""
    settings = inputs.settings
    metrics = load_perf_dir(inputs.perf_dir)
    gate = evaluate(metrics, settings)
    reasons = [f"{v.metric} {v.status}: {v.reason}" for v in gate.verdicts if v.blocks]
    missing: list[str] = []
    recorded, source, notes = choose(inputs.baseline, inputs.perf_dir)
    drift = None
    if recorded is not None:
        noise = read_noise(inputs.perf_dir)
        drift = compare(recorded, metrics, inputs.threshold_pct, settings, noise)
        notes.append(calibration_note(inputs.perf_dir, noise))
        reasons += [f"{d.metric} {d.status}: {d.reason}" for d in drift.drifts if d.blocks]
        notes.append(f"drift judged against {source.line()}")
    else:
        missing.append("baseline")
        notes.append(f"{source.line()} (promote one on main with `hologram baseline promote`, or download it in CI)")
    ab = _current_ab(inputs, notes)
    if ab is not None:
        regressed = ab.regressed
        reasons += [f"{k} regressed in the paired A/B vs {ab.base['ref']}" for k in regressed]
        if not regressed:
            notes.append(f"paired A/B vs {ab.base['ref']}: no regression ({ab.runs_per_side} runs per side)")
    e2e = _judge_e2e(inputs.events, settings, reasons, notes, missing)
    return Overall(
        passed=not reasons,
        reasons=reasons,
        notes=notes,
        gate=gate,
        drift=drift,
        e2e=e2e,
        missing=missing,
        ab=ab,
        source=source,
        inputs=inputs,
    )


def calibration_note(perf_dir: Path, noise: NoiseDocument | None) -> str:
    """Which session noise drift used: a calibration raises the evidence a comparison needs, so say which."""
    if noise is None:
        return "session noise: the defaults (no noise.json: `hologram calibrate` measures this runner's)"
    return f"session noise from {perf_dir / 'noise.json'} (`hologram calibrate` of {noise.created})"


def _current_ab(inputs: Inputs, notes: list[str]) -> AbDocument | None:
    """The paired A/B when it measured the commit being judged; a stale one (another head) is named and ignored."""
    path = inputs.ab if inputs.ab is not None else inputs.perf_dir / "ab.json"
    if inputs.ab is None and not path.exists():
        return None
    ab = read_ab(path)  # a named one that is absent, or any corrupt one: InputError
    head = ab.head
    measured = head.get("commit") if isinstance(head.get("commit"), str) else None
    if measured is None:
        notes.append(f"A/B in {path} does not say which commit it measured: ignored (run `hologram ab` again)")
        return None
    if inputs.commit is not None and measured != inputs.commit:
        notes.append(f"stale A/B of {measured[:12]}: ignored (judging {inputs.commit[:12]})")
        return None
    if head.get("dirty") is True:
        notes.append(f"A/B of {measured[:12]} measured a working tree with uncommitted changes")
    return ab


def _judge_e2e(
    events: Path, settings: GateSettings, reasons: list[str], notes: list[str], missing: list[str]
) -> Summary | None:
    """The latest E2E run's verdict. Absent log: missing (allowed where the profile allows the skip); a log that
    exists but cannot be read, or holds no readable run: a failure in every profile; corrupt lines: named."""
    if not events.exists():
        missing.append("e2e")
        text = f"no E2E events at {events} (run `hologram e2e probe`)"
        (notes if "e2e" in settings.allowed_skips else reasons).append(text)
        return None
    try:
        e2e = summarize(events)
    except InputError as exc:
        reasons.append(f"E2E events could not be read: {exc.one_line()}")
        return None
    notes.extend(e2e.problems)
    if e2e.latest_run is None:
        reasons.append(f"E2E events could not be judged: {events} holds no readable run")
    elif e2e.latest_failed:
        run = e2e.latest_run
        reasons.append(f"E2E run {run['run_id']} failed at {run['failed_step']}: {run.get('error') or ''}".strip())
    elif e2e.latest_run["status"] == Step.SKIP:
        text = f"E2E skipped: {e2e.latest_run.get('reason')}"
        (notes if "e2e" in settings.allowed_skips else reasons).append(text)
    return e2e


# --- verdict.json: the verdict and what it was judged from ---------------------------------------------------------


def write_verdict(path: Path, result: Overall) -> Path:
    """verdict.json as `hologram verdict` (`make gate`) and `hologram report` write it."""
    inputs = result.inputs
    e2e = result.e2e.latest_run if result.e2e is not None else None
    document: dict[str, object] = {
        "kind": KIND,
        "passed": result.passed,
        "profile": result.gate.profile,
        "reasons": result.reasons,
        "notes": result.notes,
        "why_passed": result.why_passed() if result.passed else None,
        "baseline": result.source.to_dict(),
        "ab": None if result.ab is None else {"base": result.ab.base, "head": result.ab.head},
        "e2e": None if e2e is None else {"run_id": e2e["run_id"], "status": e2e["status"]},
        "missing": result.missing,
        "budgets": result.gate.to_dict()["verdicts"],
        "drift": None if result.drift is None else result.drift.to_dict()["drifts"],
    }
    if inputs is not None:
        document["inputs"] = {
            "perf_dir": str(inputs.perf_dir),
            "events": str(inputs.events),
            "threshold_pct": inputs.threshold_pct,
            "allow_one_run": inputs.settings.allow_one_run,
            "budgets": inputs.settings.budgets,
            "budget_sources": inputs.settings.budget_sources,
            "baseline_named": None if inputs.baseline.named is None else str(inputs.baseline.named),
            "baseline_source": inputs.baseline.source,
            "store": None if inputs.baseline.store is None else str(inputs.baseline.store),
            "history_runs": inputs.baseline.last,
            "require_baseline": inputs.baseline.required,
            "ab": None if inputs.ab is None else str(inputs.ab),
            "commit": inputs.commit,
            "endpoints": inputs.baseline.endpoints,
        }
    return atomic.write_json(path, document)


def read_verdict(path: Path) -> dict[str, Any] | None:
    """verdict.json as written above, None when absent or not a /2 document (an older report is re-judged)."""
    document = verdict_file.read_verdict(path)
    return document if document is not None and document.get("kind") == KIND else None


def default_inputs(reports: Reports, profile: str | None = None, environ: Mapping[str, str] | None = None) -> Inputs:
    """What `hologram verdict` judges a report folder from when given no options (`make gate`)."""
    return Inputs(
        reports.perf.root,
        reports.events,
        config.gate_settings(profile, environ=environ),
        config.regression_threshold_pct(environ=environ),
        BaselineSpec(
            named=config.named_baseline(environ=environ),
            store=config.history_path(environ=environ),
            endpoints=config.endpoint_hosts(*config.service_endpoints(environ)),
        ),
        commit=provenance.commit(environ),
    )


def _endpoints(value: object) -> dict[str, str] | None:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def recorded_inputs(reports: Reports, environ: Mapping[str, str] | None = None) -> Inputs:
    """The inputs verdict.json records (the gate's own), else the defaults `make gate` uses."""
    document = read_verdict(reports.verdict)
    recorded = document.get("inputs") if document is not None else None
    if document is None or not isinstance(recorded, dict):
        return default_inputs(reports, None, environ)
    profile = document.get("profile")
    settings = config.gate_settings(profile if profile in config.PROFILES else None, environ=environ)
    if recorded.get("allow_one_run") is True:
        settings = replace(settings, allow_one_run=True)
    budgets, sources = recorded.get("budgets"), recorded.get("budget_sources")
    if isinstance(budgets, dict) and all(isinstance(v, int | float) and v > 0 for v in budgets.values()):
        named_sources = sources if isinstance(sources, dict) else {}
        settings = replace(settings, budgets={str(k): float(v) for k, v in budgets.items()}, budget_sources={
            str(k): str(v) for k, v in named_sources.items()})  # fmt: skip
    baseline: dict[str, Any] = document["baseline"] if isinstance(document.get("baseline"), dict) else {}
    pinned = baseline.get("run_ids") if baseline.get("kind") == "history" else None
    store, named, ab = (_text(recorded.get(k)) for k in ("store", "baseline_named", "ab"))
    threshold = recorded.get("threshold_pct")
    # The folder's own perf data and events (a downloaded artifact lives elsewhere than where it was judged).
    return Inputs(
        reports.perf.root,
        reports.events,
        settings,
        float(threshold) if isinstance(threshold, int | float) else config.regression_threshold_pct(environ=environ),
        BaselineSpec(
            named=Path(named) if named else None,
            source=str(recorded.get("baseline_source") or "auto"),
            store=Path(store) if store else None,
            last=int(recorded.get("history_runs") or 10),
            required=recorded.get("require_baseline") is True,
            pinned=tuple(str(r) for r in pinned) if isinstance(pinned, list) else None,
            endpoints=_endpoints(recorded.get("endpoints")),
        ),
        Path(ab) if ab else None,
        _text(recorded.get("commit")),
    )


def judge_report(reports: Reports, environ: Mapping[str, str] | None = None) -> Overall:
    """A report folder's verdict for its outputs (summary, badge, Slack / Teams, notebooks): `judge` on the inputs
    verdict.json recorded. If the files changed since, the re-judged verdict says that it differs."""
    result = judge(recorded_inputs(reports, environ))
    document = read_verdict(reports.verdict)
    if document is not None and document.get("passed") is not result.passed:
        said = "PASS" if document.get("passed") else "FAIL"
        result.notes.append(f"{reports.verdict} said {said}: the report's files changed since it was written")
    return result


def explore(
    reports: Reports,
    perf_dir: Path,
    *,
    baseline: str = "",
    threshold_pct: float = 0.0,
    profile: str = "",
    environ: Mapping[str, str] | None = None,
) -> Overall:
    """The baseline_drift notebook's verdict: `judge` on the inputs the report recorded — the gate's own verdict —
    or, with a parameter given (a named baseline, another threshold or profile), the same judge on those inputs
    with that change: exploration, which the page labels as such."""
    inputs = replace(recorded_inputs(reports, environ), perf_dir=perf_dir)
    if baseline:
        inputs = replace(inputs, baseline=replace(inputs.baseline, named=Path(baseline), source="auto", pinned=None))
    if threshold_pct:
        inputs = replace(inputs, threshold_pct=config.regression_threshold_pct(threshold_pct))
    if profile:
        inputs = replace(inputs, settings=config.gate_settings(profile, environ=environ))
    return judge(inputs)
