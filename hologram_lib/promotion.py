"""Promoting a run's perf folder to the baseline: judge the budgets of the suites that were collected, record how
the run was measured, and write the file where it was asked for (`baseline.promote` owns the refusals and the
format)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from hologram_lib.baseline import promote
from hologram_lib.config import GateSettings, PerfKnobs, perf_knobs, provenance
from hologram_lib.gate import evaluate
from hologram_lib.layout import PerfDir
from hologram_lib.perf.files import MetricData, load_perf_dir


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
    origin = provenance(settings.profile, measured_knobs(metrics))
    target = named or PerfDir(perf_dir).baseline
    path = promote(metrics, target, origin, gate_passed=gate_of_collected(metrics, settings), force=force)
    return Promotion(path=path, collected=collected_suites(metrics))
