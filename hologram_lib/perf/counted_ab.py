"""Counts of two trees side by side: `hologram ab --measure instructions` and `hologram calibrate`'s counted A/A.

Each side's core metrics are counted in COUNTED_RUNS processes under callgrind (`perf.counted`), both sides with
the same interpreter, valgrind and pinned environment, so their fingerprints match by construction (checked all
the same). The verdict is `drift.judge_counts`; where the work went is read from the two sides' profiles of the
measured region (`callgrind.top_changes`), and kept: the profiles in perf/profiles/ab/, the function changes in
ab.json and in perf/attribution.json (a small document the report and the job summary can show).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from hologram_lib import atomic
from hologram_lib.config import PerfKnobs
from hologram_lib.drift import COUNT_NOISE_FLOOR_PCT, DriftResult, compare_run_sets, not_compared
from hologram_lib.layout import PerfDir
from hologram_lib.outcomes import Drift
from hologram_lib.perf.callgrind import FunctionChange, compress, read_profile, top_changes
from hologram_lib.perf.counted import (
    COUNTED_RUNS,
    COUNTED_UNITS,
    CountedSample,
    CountTask,
    Valgrind,
    count_tasks,
    counted_names,
    spread_pct,
)
from hologram_lib.perf.counted_file import fingerprint_difference

ATTRIBUTION_KIND = "hologram-attribution/1"


@dataclass
class CountedComparison:
    """The counted verdicts of two sides, keyed like the wall-clock ones (`core.encode_1MB_instructions`)."""

    results: dict[str, DriftResult] = field(default_factory=dict)
    attribution: dict[str, list[FunctionChange]] = field(default_factory=dict)
    fingerprint: dict[str, str] | None = None
    spread_pct: dict[str, float] = field(default_factory=dict)


def _by_metric(samples: list[CountedSample], tasks: list[CountTask]) -> dict[tuple[int, str], list[CountedSample]]:
    found: dict[tuple[int, str], list[CountedSample]] = {}
    for task, sample in zip(tasks, samples, strict=True):
        found.setdefault((task.side, task.metric), []).append(sample)
    return found


def _incomparable(keys: list[str], reason: str) -> dict[str, DriftResult]:
    return {key: not_compared(reason) for key in keys}


def count_sides(
    valgrind: Valgrind,
    knobs: PerfKnobs,
    suite: str,
    wall_names: list[str],
    trees: tuple[Path | None, Path | None],
    threshold_pct: float,
    profiles_dir: Path | None,
    say: Callable[[str], None],
    runs: int = COUNTED_RUNS,
) -> CountedComparison:
    """Count both sides' metrics (all processes at once, two at a time) and judge head against base."""
    tasks = [CountTask(side, name, trees[side]) for _ in range(runs) for side in (0, 1) for name in wall_names]
    with tempfile.TemporaryDirectory(prefix="hologram-counted-ab-") as scratch:
        samples = count_tasks(valgrind, knobs, suite, tasks, Path(scratch))
        grouped = _by_metric(samples, tasks)
        comparison = CountedComparison(fingerprint=samples[0].fingerprint)
        difference = next(
            (d for s in samples if (d := fingerprint_difference(samples[0].fingerprint, s.fingerprint))), None
        )
        pairs = {}
        for name in wall_names:
            base, head = grouped[(0, name)], grouped[(1, name)]
            for unit, key in zip(COUNTED_UNITS, counted_names(name), strict=True):
                full = f"{suite}.{key}"
                base_values = [getattr(s, unit) for s in base]
                head_values = [getattr(s, unit) for s in head]
                pairs[full] = ([np.array([v]) for v in base_values], [np.array([v]) for v in head_values])
                comparison.spread_pct[full] = round(max(spread_pct(base_values), spread_pct(head_values)), 5)
            comparison.attribution[f"{suite}.{counted_names(name)[0]}"] = attribute(base[-1], head[-1])
            if profiles_dir is not None:
                stem = name.removesuffix("_ms")
                compress(base[-1].profile, profiles_dir / f"base.{suite}.{stem}.callgrind.gz")
                compress(head[-1].profile, profiles_dir / f"head.{suite}.{stem}.callgrind.gz")
    if difference is not None:
        comparison.results = _incomparable(list(pairs), difference)
    else:
        comparison.results = compare_run_sets(pairs, threshold_pct, paired=True)
    say(f"{suite}: counted {runs} processes per metric and side under callgrind")
    return comparison


def attribute(base: CountedSample, head: CountedSample) -> list[FunctionChange]:
    return top_changes(read_profile(base.profile), read_profile(head.profile), base.calls, head.calls)


def attribution_document(comparison: CountedComparison, results: dict[str, DriftResult]) -> dict[str, object]:
    """perf/attribution.json: per counted metric its verdict and the C functions whose cost moved most."""
    return {
        "kind": ATTRIBUTION_KIND,
        "what": "instructions per call, base → head, of the C functions (interpreter, numpy) that moved most",
        "metrics": {
            key: {
                "status": results[key].status if key in results else None,
                "ratio": results[key].ratio if key in results else None,
                "functions": [asdict(change) for change in changes],
            }
            for key, changes in sorted(comparison.attribution.items())
        },
    }


def write_attribution(perf_dir: Path, document: dict[str, object]) -> Path:
    return atomic.write_json(PerfDir(perf_dir).root / "attribution.json", document)


def attribution_lines(comparison: CountedComparison, results: dict[str, DriftResult]) -> list[str]:
    """Where the work went, for each counted metric that regressed (the red build names the function)."""
    out = []
    for key, changes in sorted(comparison.attribution.items()):
        if key in results and results[key].status == Drift.REGRESSED and changes:
            out.append(f"  where {key} went (C functions, instructions per call):")
            out += [f"    {change.line()}" for change in changes]
    return out


def counted_calibration(
    valgrind: Valgrind, knobs: PerfKnobs, wall_names: list[str], threshold_pct: float, say: Callable[[str], None]
) -> dict[str, object]:
    """`hologram calibrate`'s counted A/A: the same code counted as two sides; how far the counts lie apart (within
    a side and between the sides) beside the noise floor the count verdicts use."""
    comparison = count_sides(valgrind, knobs, "core", wall_names, (None, None), threshold_pct, None, say)
    metrics = {
        key: {
            "spread_pct": comparison.spread_pct[key],
            "aa_status": result.status,
            "aa_ratio": round(result.ratio, 7),
            "aa_difference_pct": round(100.0 * abs(result.ratio - 1.0), 5),
        }
        for key, result in sorted(comparison.results.items())
    }
    return {"noise_floor_pct": COUNT_NOISE_FLOOR_PCT, "fingerprint": comparison.fingerprint, "metrics": metrics}


def counted_noise_lines(counted: dict[str, object]) -> list[str]:
    metrics: dict[str, dict[str, object]] = counted["metrics"]  # type: ignore[assignment]
    out = [f"  counts (callgrind), noise floor {counted['noise_floor_pct']}%:"]
    for key, m in metrics.items():
        out.append(
            f"    {key}: runs of one side within {m['spread_pct']}%, A/A {m['aa_status']} "
            f"({m['aa_difference_pct']}% apart)"
        )
    return out
