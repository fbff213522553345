"""The overall verdict: budget gate + baseline drift + a paired A/B (when `hologram ab` ran) + the latest E2E run.

One function serves `hologram verdict` (`make gate`), the index page's banner and the notebooks, so the
banner and the exit code can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hologram_lib import atomic
from hologram_lib.baseline import DriftReport, compare, select_baseline
from hologram_lib.config import GateSettings
from hologram_lib.e2e.summary import Summary, summarize
from hologram_lib.errors import InputError
from hologram_lib.gate import GateReport, evaluate
from hologram_lib.perf.files import MetricData
from hologram_lib.perf.paired import read_ab
from hologram_lib.status import Drift, Step

if TYPE_CHECKING:
    from hologram_lib.history.series import HistoryRuns


@dataclass
class Overall:
    passed: bool
    reasons: list[str]
    notes: list[str]
    gate: GateReport
    drift: DriftReport | None = None
    e2e: Summary | None = None
    missing: list[str] = field(default_factory=list)
    ab: dict[str, Any] | None = None

    def lines(self) -> list[str]:
        head = "PASS" if self.passed else "FAIL"
        out = [f"verdict: {head} (profile {self.gate.profile})"]
        out += [f"  why: {r}" for r in self.reasons] + [f"  note: {n}" for n in self.notes]
        return out


def with_reasons(result: Overall, reasons: list[str]) -> Overall:
    """The verdict with more reasons to fail (the optional change-point gate)."""
    return replace(result, passed=result.passed and not reasons, reasons=[*result.reasons, *reasons])


def write_verdict(path: Path, result: Overall) -> Path:
    """verdict.json: the one overall verdict, as `hologram verdict --json` and `hologram report` write it."""
    document = {
        "kind": "hologram-verdict/1",
        "passed": result.passed,
        "profile": result.gate.profile,
        "reasons": result.reasons,
        "notes": result.notes,
    }
    return atomic.write_json(path, document)


def overall(
    metrics: dict[str, MetricData],
    baseline: Path,
    events: Path,
    settings: GateSettings,
    threshold_pct: float,
    *,
    require_baseline: bool = False,
    ab_path: Path | None = None,
    noise: dict[str, Any] | None = None,
    history: HistoryRuns | None = None,
    history_notes: tuple[str, ...] = (),
) -> Overall:
    """Judge everything the pipeline recorded; absent inputs are named (and fail where the profile says so).

    Drift is judged against the history store's last green main runs (`history`) when it holds at least MIN_RUNS
    of them, else against `baseline`; a note says which source it used."""
    gate = evaluate(metrics, settings)
    reasons = [f"{v.metric} {v.status}: {v.reason}" for v in gate.verdicts if v.blocks]
    notes: list[str] = list(history_notes)
    missing: list[str] = []
    drift = None
    recorded, source_notes = select_baseline(baseline, history, required=require_baseline)
    notes += source_notes
    if recorded is not None:
        drift = compare(recorded, metrics, threshold_pct, settings, noise)
        reasons += [f"{d.metric} {d.status}: {d.reason}" for d in drift.drifts if d.blocks]
    else:
        missing.append("baseline")
        notes.append(
            f"no baseline at {baseline}: drift not compared (promote one on main with "
            "`hologram baseline promote`, or download it in CI)"
        )
    ab = read_ab(ab_path) if ab_path is not None and ab_path.exists() else None
    if ab is not None:
        regressed = [k for k, m in ab["metrics"].items() if m["status"] == Drift.REGRESSED]
        reasons += [f"{k} regressed in the paired A/B vs {ab['base']['ref']}" for k in regressed]
        if not regressed:
            notes.append(f"paired A/B vs {ab['base']['ref']}: no regression ({ab['runs_per_side']} runs per side)")
    e2e = _judge_e2e(events, settings, reasons, notes, missing)
    return Overall(not reasons, reasons, notes, gate, drift, e2e, missing, ab)


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
