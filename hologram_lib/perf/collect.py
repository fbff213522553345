"""`perf collect`: run the suites, extend inconclusive metrics, write the sample and summary files.

When a metric's budget verdict is inconclusive, more samples are taken (up to max_samples) until the
interval clears the budget — "unknown → run more" — instead of guessing.
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import numpy as np

from hologram_lib.clients import ServiceError
from hologram_lib.config import GateSettings, PerfKnobs
from hologram_lib.gate import check_budget
from hologram_lib.perf.files import ERROR_PREFIX, SKIP_PREFIX, MetricResult, write_suite
from hologram_lib.perf.harness import SampleTimeout
from hologram_lib.perf.profiles import COLD_DIR, write_cache_profiles
from hologram_lib.perf.suites import SUITE_BUILDERS, Metric, SuiteError, metric_names

BATCH = 50
_SUITE_FAILURES = (SuiteError, ServiceError, SampleTimeout)


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


class Progress:
    """A live bar on a terminal; plain lines otherwise (CI logs)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, key: str, done: int, total: int) -> None:
        if self.live:
            filled = int(20 * min(done, total) / max(total, 1))
            self.stream.write(f"\r  {key:<28} [{'#' * filled}{'.' * (20 - filled)}] {done}/{total}")
            self.stream.flush()

    def line(self, text: str) -> None:
        if self.live:
            self.stream.write("\r\033[K")
        self.stream.write(text + "\n")
        self.stream.flush()


@dataclass(frozen=True)
class CollectOutcome:
    suite: str
    results: list[MetricResult]
    files: tuple[Path, Path]


def _sample_metric(metric: Metric, key: str, budget: float | None, max_samples: int, progress: Progress) -> np.ndarray:
    target = metric.initial_samples
    batches: list[np.ndarray] = []
    taken = 0
    while True:
        while taken < target:
            batch = metric.sample(min(BATCH, target - taken))
            batches.append(batch)
            taken += len(batch)
            progress.update(key, taken, target)
        samples = np.concatenate(batches)
        if budget is None or taken >= max_samples:
            return samples
        verdict = check_budget(samples, budget)
        if verdict.status != "inconclusive":
            return samples
        target = min(max_samples, max(verdict.samples_needed or 0, taken + BATCH))
        progress.line(f"  {key}: inconclusive at n={taken} against {budget:g} ms; extending to {target}")


def run_suite(
    name: str, knobs: PerfKnobs, settings: GateSettings, max_samples: int, progress: Progress
) -> list[MetricResult]:
    try:
        suite = SUITE_BUILDERS[name](knobs)
    except _SUITE_FAILURES as exc:
        return _failed(name, metric_names(name, knobs), exc)
    if suite.skip_reason is not None:
        progress.line(f"{name}: skipped ({suite.skip_reason})")
        return [MetricResult(name, m, None, SKIP_PREFIX + suite.skip_reason) for m in suite.metric_names]
    results = []
    try:
        for metric in suite.metrics:
            key = f"{name}.{metric.name}"
            samples = _sample_metric(metric, key, settings.budget_for(key), max_samples, progress)
            results.append(MetricResult(name, metric.name, samples))
            progress.line(f"{key}: n={len(samples)} p50={np.median(samples):.3f} ms")
    except _SUITE_FAILURES as exc:
        progress.line(f"{name}: failed ({exc})")
        return _failed(name, suite.metric_names, exc)
    finally:
        suite.close()
    return results


def _failed(name: str, metric_names: list[str], exc: Exception) -> list[MetricResult]:
    return [MetricResult(name, m, None, ERROR_PREFIX + str(exc)) for m in metric_names]


def collect(
    perf_dir: Path,
    suites: list[str],
    knobs: PerfKnobs,
    settings: GateSettings,
    max_samples: int,
    progress: Progress | None = None,
) -> list[CollectOutcome]:
    """Measure each suite and write its files; a failing suite records its error and the others still run.

    A cold profile (knobs.cold) goes to perf_dir/cold/ — never judged against the budgets, so it is not extended
    either — and then perf_dir/cache_profiles.json compares it with the warm data.
    """
    progress = progress or Progress()
    run_id = new_run_id()
    target = perf_dir / COLD_DIR if knobs.cold else perf_dir
    if knobs.cold:
        settings = replace(settings, budgets={})
    outcomes = []
    for name in suites:
        results = run_suite(name, knobs, settings, max_samples, progress)
        outcomes.append(CollectOutcome(name, results, write_suite(target, name, results, run_id)))
    if knobs.cold:
        progress.line(f"cold vs warm: {write_cache_profiles(perf_dir)}")
    return outcomes
