"""The drift comparison in words: each metric's one-line reason and the report's lines as `hologram baseline
compare` prints them."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from hologram_lib import stats
from hologram_lib.drift import DriftResult, reach
from hologram_lib.units import ms as _num  # one formatter for every page (units.ms)

if TYPE_CHECKING:
    from hologram_lib.baseline.compare import DriftReport


def describe_count(result: DriftResult) -> str:
    return (
        f"count ×{result.ratio:.4f} ({100 * (result.ratio - 1):+.2f}%) over {result.runs_baseline} → "
        f"{result.runs_current} runs; flags changes beyond {result.mde_pct:g}%"
        + (f"; {result.note}" if result.note else "")
    )


def describe(base_p95: float, cur_p95: float | None, result: DriftResult) -> str:
    if result.tail_ratio is not None:
        runs = result.runs_current
        text = (
            f"median ×{result.ratio:.3f} [{result.interval_label()} {_num(result.ci_low)}–{_num(result.ci_high)}] "
            f"over {result.runs_baseline} → {runs} runs, p(BH)={result.p_value:.4f}, smallest change it could flag: "
            f"{reach(result.mde_pct, runs)}; p95 {base_p95:.3f} → {_num(cur_p95)} ms, tail ×{result.tail_ratio:.3f} "
            f"[{result.interval_label(tail=True)} {_num(result.tail_ci_low)}–{_num(result.tail_ci_high)}]: this "
            f"runner's p95 can only reveal changes above {reach(result.tail_mde_pct, runs)}"
        )
        return text + (f"; {result.note}" if result.note else "")
    text = f"p95 {base_p95:.3f} → {_num(cur_p95)} ms, ratio ×{result.ratio:.3f}"
    if result.ci_low != result.ci_high and math.isfinite(result.ci_high):
        text += f" [{100 * (1 - 2 * stats.DRIFT_ALPHA):g}% CI {_num(result.ci_low)}–{_num(result.ci_high)}]"
    if result.p_value is not None:
        text += f", p(BH)={result.p_value:.4f}"
    if math.isfinite(result.mde_pct):
        text += f"; smallest change it could flag: {reach(result.mde_pct, result.runs_current)}"
    return text + (f"; {result.note}" if result.note else "")


def report_lines(report: DriftReport) -> list[str]:
    """The verdict line, then one line per metric: status, name and reason."""
    blocking = [d for d in report.drifts if d.blocks]
    head = "PASS" if report.passed else "FAIL"
    summary = f"{len(blocking)} blocking" if blocking else "no significant regression"
    return [
        f"baseline drift: {head} vs {report.baseline.path} ({report.baseline.label}); threshold "
        f"{report.threshold_pct:g}%, BH-adjusted alpha {stats.RUN_DRIFT_ALPHA:g} (median) / "
        f"{stats.TAIL_DRIFT_ALPHA:g} (p95): {summary}"
    ] + [f"  {d.status.upper():<12} {d.metric}: {d.reason}" for d in report.drifts]
