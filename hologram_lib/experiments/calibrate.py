"""`hologram calibrate`: an A/A — the same code measured as two interleaved groups per suite — records how noisy
this runner is (`calibration` computes the numbers) as noise.json (`paired_documents.NoiseDocument`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from hologram_lib.calibration import noise_entry
from hologram_lib.drift import paired_verdicts
from hologram_lib.outcomes import Drift
from hologram_lib.paired_documents import NoiseDocument
from hologram_lib.perf.collect import Progress
from hologram_lib.perf.interleaved import Side, interleaved_runs


def calibrate(
    suites: list[str],
    runs: int,
    samples: int,
    threshold_pct: float,
    progress: Progress,
    skip_reasons: Mapping[str, str | None],
    env: Mapping[str, str] | None = None,
) -> NoiseDocument:
    """An A/A: two interleaved groups of `runs` runs of the same code per suite → the noise.json document."""
    metrics: dict[str, dict[str, object]] = {}
    skipped: dict[str, str] = {}
    sides = (Side("A", None), Side("A'", None))
    for suite in suites:
        reason = skip_reasons.get(suite)
        if reason is not None:
            skipped[suite] = reason
            progress.line(f"{suite}: skipped ({reason})")
            continue
        first, second = interleaved_runs(sides, suite, runs, samples, progress, env)
        verdicts = paired_verdicts(suite, first, second, threshold_pct)
        for name in sorted(first):
            key = f"{suite}.{name}"
            pairs = zip(first[name], second[name], strict=True)
            ordered = [run for i, pair in enumerate(pairs) for run in (pair if i % 2 == 0 else pair[::-1])]
            aa = (str(verdicts[key].status), verdicts[key].ratio)
            metrics[key] = noise_entry(ordered, runs, aa, threshold_pct)
    false_alarms = sorted(key for key, entry in metrics.items() if entry["aa_status"] == Drift.REGRESSED)
    return NoiseDocument(
        metrics=metrics,
        runs_per_group=runs,
        samples_per_run=samples,
        threshold_pct=threshold_pct,
        false_alarms=false_alarms,
        skipped=skipped,
    )


def write_noise(perf_dir: Path, document: NoiseDocument) -> Path:
    return document.write(perf_dir)


def _runs(needed: object) -> str:
    return "no number of runs (use `hologram ab`)" if needed is None else f"~{needed} runs"


def noise_lines(document: NoiseDocument) -> list[str]:
    alarms = document.false_alarms
    head = "calibrate: A/A " + ("clean" if not alarms else f"FALSE ALARM on {', '.join(alarms)}")
    out = [f"{head} ({document.runs_per_group} interleaved runs per group)"]
    threshold = document.threshold_pct
    for key, m in sorted(document.metrics.items()):
        out.append(
            f"  {key}: between-run sd(log) median {m['between_run_sd_log_median']}, p95 {m['between_run_sd_log_p95']}; "
            f"A/A {m['aa_status']} ×{m['aa_ratio']}; with {document.runs_per_group} runs per side the median can "
            f"reveal ≥{m['mde_median_pct']}%, the p95 ≥{m['mde_p95_pct']}%; session sd(log) median "
            f"{m['session_sd_log_median']}; {threshold:g}% against a stored baseline needs "
            f"{_runs(m[f'runs_for_{threshold:g}pct_median'])} (median), "
            f"{_runs(m[f'runs_for_{threshold:g}pct_p95'])} (p95)"
        )
    return out
