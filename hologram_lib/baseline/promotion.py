"""Promotion: when a measured run may become the baseline (green, from main, with runs enough to measure the
noise between processes — unless forced) and writing it; `promote_perf_dir` is `hologram baseline promote`: judge
the budgets of the suites that were collected, record how the run was measured, write where it was asked for."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from hologram_lib import stats
from hologram_lib.baseline.files import baseline_document, write_baseline
from hologram_lib.budgets import evaluate
from hologram_lib.config import GateSettings, PerfKnobs
from hologram_lib.credentials import perf_knobs
from hologram_lib.errors import InputError, Refused
from hologram_lib.layout import PerfDir
from hologram_lib.perf.counted_file import is_counted
from hologram_lib.perf.files import MetricData, load_perf_dir
from hologram_lib.provenance import provenance as provenance_of


def promote(
    metrics: dict[str, MetricData], path: Path, provenance: dict[str, object], *, gate_passed: bool, force: bool
) -> Path:
    """Write a new baseline (atomically). Baselines come from green runs on main, with runs enough to measure the
    noise between processes, unless forced."""
    if not force:
        check_promotable(metrics, provenance, gate_passed=gate_passed)
    document = baseline_document(metrics, provenance)
    if not document["metrics"]:
        raise InputError("no raw samples to promote: run `hologram perf collect` first")
    return write_baseline(path, document)


def check_promotable(metrics: dict[str, MetricData], provenance: dict[str, object], *, gate_passed: bool) -> None:
    """The policy, each refusal with what would override it: from main (exit 2), runs enough (exit 2), a green
    perf gate (exit 1)."""
    branch = provenance.get("branch")
    if branch != "main":
        raise Refused(
            f"refusing to promote a baseline from branch {branch!r}: baselines come from main (--force overrides)",
            exit_code=2,
        )
    few = _too_few_runs(metrics)
    if few:
        raise Refused(
            f"refusing to promote a baseline of {metrics[few[0]].run_count} run(s) ({', '.join(few)}): a baseline "
            f"needs at least {stats.MIN_RUNS} runs to measure the noise between processes (`hologram perf collect "
            "--runs 10`; --force overrides)",
            exit_code=2,
        )
    if not gate_passed:
        raise Refused("refusing to promote a baseline after a failed perf gate (--force overrides)", exit_code=1)


def _too_few_runs(metrics: dict[str, MetricData]) -> list[str]:
    """Measured metrics with fewer than MIN_RUNS runs (E2E steps and counts are exempt: one sample per report, and
    a count needs no spread between runs)."""
    return sorted(
        key
        for key, data in metrics.items()
        if data.runs and data.suite != "e2e" and not is_counted(key) and data.run_count < stats.MIN_RUNS
    )


@dataclass(frozen=True, kw_only=True)
class Promotion:
    path: Path
    collected: list[str]  # the suites whose data was promoted (their budgets judged)

    def line(self) -> str:
        suites = ", ".join(self.collected) or "none"
        return f"baseline: promoted {self.path} (the budgets of the suites collected: {suites})"


def collected_suites(metrics: dict[str, MetricData]) -> list[str]:
    return sorted({data.suite for data in metrics.values()})


def gate_of_collected(metrics: dict[str, MetricData], settings: GateSettings) -> bool:
    """Whether the budgets of the collected suites pass: after `perf collect --suite core` the other suites' budgets
    are not "missing"."""
    collected = collected_suites(metrics)
    budgets = {name: ms for name, ms in settings.budgets.items() if name.partition(".")[0] in collected}
    return evaluate(metrics, replace(settings, budgets=budgets)).passed


def measured_knobs(metrics: dict[str, MetricData]) -> PerfKnobs:
    """The knobs the run was measured with, as far as the files tell: the core suite's largest run gives the
    samples per run (the environment, not the default, when nothing of core was recorded)."""
    sizes = [len(run) for data in metrics.values() if data.suite == "core" for run in data.runs]
    return perf_knobs(max(sizes) if sizes else None)


def promote_perf_dir(perf_dir: Path, settings: GateSettings, named: Path | None, *, force: bool) -> Promotion:
    """Write the baseline of `perf_dir` to `named`, else beside its perf folder (PERF_DIR/baseline.json)."""
    metrics = load_perf_dir(perf_dir)
    origin = provenance_of(settings.profile, measured_knobs(metrics))
    target = named or PerfDir(perf_dir).baseline
    path = promote(metrics, target, origin, gate_passed=gate_of_collected(metrics, settings), force=force)
    return Promotion(path=path, collected=collected_suites(metrics))
