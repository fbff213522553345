"""Promotion: when a measured run may become the baseline (green, from main, with runs enough to measure the
noise between processes — unless forced) and writing it."""

from __future__ import annotations

from pathlib import Path

from hologram_lib import stats
from hologram_lib.baseline.files import baseline_document, write_baseline
from hologram_lib.errors import InputError, Refused
from hologram_lib.perf.counted_file import is_counted
from hologram_lib.perf.files import MetricData


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
