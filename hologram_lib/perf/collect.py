"""`perf collect`: K process runs per suite, interleaved, then the sample and summary files.

Each run is a fresh interpreter (`hologram_lib.perf.worker`), because the process is the unit of replication: on
the project's real-noise data the p95 varied 13–79 × more between processes than inside one. Suites take turns
(round-robin: core, graphql, ipfs, core, …) so that a slow minute of the machine hits every suite a little instead
of one suite entirely. When a budget verdict stays inconclusive, more runs are taken (up to max_runs) — "unknown →
measure more" adds runs, not samples, since more samples from one process do not measure the next one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

import numpy as np

from hologram_lib.budget_policy import runs_to_settle
from hologram_lib.clock import new_run_id
from hologram_lib.config import GateSettings, PerfKnobs
from hologram_lib.errors import InputError
from hologram_lib.layout import PerfDir
from hologram_lib.perf.counted import COUNTED_SUITES, count_into, unavailable
from hologram_lib.perf.files import ERROR_PREFIX, SKIP_PREFIX, MetricResult, write_suite
from hologram_lib.perf.profiles import write_cache_profiles
from hologram_lib.perf.suites import metric_names, skip_reason

WORKER_TIMEOUT_S = 900.0


class Progress:
    """A live bar of runs on a terminal; plain lines otherwise (CI logs)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, label: str, done: int, total: int) -> None:
        if self.live:
            filled = int(20 * min(done, total) / max(total, 1))
            self.stream.write(f"\r  {label:<28} [{'#' * filled}{'.' * (20 - filled)}] run {done}/{total}")
            self.stream.flush()

    def line(self, text: str) -> None:
        if self.live:
            self.stream.write("\r\033[K")
        self.stream.write(text + "\n")
        self.stream.flush()


@dataclass(frozen=True)
class RunRequest:
    """One process run: which suite, how many samples, and (for `hologram ab`) which tree's target to load."""

    suite: str
    samples: int
    cold: bool = False
    tree: Path | None = None


@dataclass
class RunResult:
    metrics: dict[str, np.ndarray] = field(default_factory=dict)
    error: str | None = None
    wall_s: float = 0.0
    measure_s: float = 0.0

    @property
    def startup_s(self) -> float:
        """Interpreter start and imports: the price of a fresh process per run."""
        return max(0.0, self.wall_s - self.measure_s)


def run_process(request: RunRequest, env: Mapping[str, str] | None = None) -> RunResult:
    """Measure one run in a fresh interpreter; a bad target (HOLOGRAM_TARGET) is an InputError."""
    command = [sys.executable, "-m", "hologram_lib.perf.worker", request.suite, "--samples", str(request.samples)]
    if request.cold:
        command.append("--cold")
    if request.tree is not None:
        command += ["--tree", str(request.tree)]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hologram-run-") as channel:  # the result's own channel, not stdout
        result_file = Path(channel) / "result.json"
        try:
            done = subprocess.run(
                [*command, "--result", str(result_file)],
                env=dict(os.environ if env is None else env),
                capture_output=True,
                text=True,
                timeout=WORKER_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return RunResult(error=f"a {request.suite} run did not finish within {WORKER_TIMEOUT_S:g} s")
        wall = time.perf_counter() - start
        tail = " ".join(done.stderr.split())[-300:]
        crashed = RunResult(error=f"the {request.suite} run crashed (exit {done.returncode}): {tail}", wall_s=wall)
        try:
            reply = json.loads(result_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return crashed
    if done.returncode != 0 or not isinstance(reply, dict):  # a target that exits or prints on its own
        return crashed
    if "input_error" in reply:
        raise InputError(reply["input_error"])
    if reply.get("error"):
        return RunResult(error=reply["error"], wall_s=wall)
    metrics = reply.get("metrics")
    if not isinstance(metrics, dict):
        return crashed
    try:
        arrays = {name: np.asarray(values, dtype=np.float64) for name, values in metrics.items()}
    except (TypeError, ValueError):
        return crashed
    return RunResult(arrays, None, wall, float(reply.get("measure_s", 0.0)))


@dataclass
class SuiteRuns:
    """What the runs of one suite produced so far."""

    name: str
    metric_names: list[str]
    runs: list[dict[str, np.ndarray]] = field(default_factory=list)
    note: str = ""
    startup_s: list[float] = field(default_factory=list)
    counted: list[MetricResult] = field(default_factory=list)  # the counted metrics beside the wall-clock ones

    @property
    def active(self) -> bool:
        return not self.note

    def results(self) -> list[MetricResult]:
        if self.note:
            return [MetricResult(self.name, m, None, self.note) for m in self.metric_names]
        names = self.metric_names + self.extra_names()
        return [MetricResult(self.name, m, tuple(run[m] for run in self.runs)) for m in names] + self.counted

    def extra_names(self) -> list[str]:
        """Metrics every run answered beyond the named ones (an in-process call's thread CPU time)."""
        if not self.runs:
            return []
        shared = set(self.runs[0]).intersection(*self.runs[1:]) - set(self.metric_names)
        return sorted(shared)


@dataclass(frozen=True)
class CollectOutcome:
    suite: str
    results: list[MetricResult]
    files: tuple[Path, Path]
    runs: int = 0
    startup_s: float = 0.0

    @property
    def errored(self) -> bool:
        """A metric of this suite could not be measured (its target or service failed): `perf collect` exits 3."""
        return any(result.note.startswith(ERROR_PREFIX) for result in self.results)

    def line(self) -> str:
        startup = f", {self.startup_s * 1000:.0f} ms start-up per run" if self.runs else ""
        return f"{self.suite}: {self.runs} runs{startup}; wrote {self.files[0]} and {self.files[1]}"


Runner = Callable[[RunRequest], RunResult]


def _take_run(suite: SuiteRuns, knobs: PerfKnobs, runner: Runner, progress: Progress, total: int) -> None:
    progress.update(suite.name, len(suite.runs) + 1, total)
    result = runner(RunRequest(suite.name, knobs.samples, knobs.cold))
    absent = [name for name in suite.metric_names if name not in result.metrics]
    if result.error is None and absent:
        result = RunResult(error=f"the {suite.name} run answered without {', '.join(absent)}")
    if result.error is not None:
        suite.note = ERROR_PREFIX + result.error
        progress.line(f"{suite.name}: failed in run {len(suite.runs) + 1} ({result.error})")
        return
    suite.runs.append(result.metrics)
    suite.startup_s.append(result.startup_s)


def _unsettled(suite: SuiteRuns, settings: GateSettings) -> int:
    """Runs a suite still needs for its budgets to be pass or fail (0 when settled)."""
    needed = 0
    for result in suite.results():
        budget = settings.budget_for(result.key)
        if budget is None or result.runs is None:
            continue
        needed = max(needed, runs_to_settle(result.runs, budget, len(suite.runs)))
    return needed


def measure_suites(
    suites: list[str], knobs: PerfKnobs, settings: GateSettings, runner: Runner, progress: Progress
) -> list[SuiteRuns]:
    """settings.runs runs per suite, round-robin; then more runs for suites whose budgets stay inconclusive."""
    state = [SuiteRuns(name, metric_names(name, knobs)) for name in suites]
    for suite in state:
        reason = skip_reason(suite.name, knobs)
        if reason is not None:
            suite.note = SKIP_PREFIX + reason
            progress.line(f"{suite.name}: skipped ({reason})")
    for _ in range(settings.runs):
        for suite in (s for s in state if s.active):
            _take_run(suite, knobs, runner, progress, settings.runs)
    while True:
        wanting = [(s, _unsettled(s, settings)) for s in state if s.active and len(s.runs) < settings.max_runs]
        wanting = [(s, n) for s, n in wanting if n > 0]
        if not wanting:
            break
        for suite, needed in wanting:
            target = min(settings.max_runs, needed)
            progress.line(
                f"  {suite.name}: a budget is inconclusive at {len(suite.runs)} runs; adding runs (≤{target})"
            )
            _take_run(suite, knobs, runner, progress, target)
    for suite in state:
        for result in suite.results():
            if result.runs:
                pooled = np.concatenate(result.runs)
                p50, p95 = np.percentile(pooled, [50, 95])  # p95 is what the budgets judge
                progress.line(f"{result.key}: {len(result.runs)} runs, n={len(pooled)} p50={p50:.3f} p95={p95:.3f} ms")
    return state


def collect(
    perf_dir: Path,
    suites: list[str],
    knobs: PerfKnobs,
    settings: GateSettings,
    progress: Progress | None = None,
    env: Mapping[str, str] | None = None,
) -> list[CollectOutcome]:
    """Measure each suite in settings.runs process runs and write its files; a failing suite records its error
    and the others still run.

    A cold profile (knobs.cold) goes to perf_dir/cold/ — never judged against the budgets, so it is not extended
    either — and then perf_dir/cache_profiles.json compares it with the warm data (rewritten by a later warm run).
    """
    progress = progress or Progress()
    run_id = new_run_id()
    target = PerfDir(perf_dir).cold if knobs.cold else perf_dir
    if knobs.cold:
        settings = replace(settings, budgets={})

    def runner(request: RunRequest) -> RunResult:
        return run_process(request, env)

    outcomes = []
    counting = not knobs.cold and any(name in COUNTED_SUITES for name in suites)
    no_counts = unavailable(knobs) if counting else None  # before minutes of measuring: exit 2 without valgrind
    measured = measure_suites(suites, knobs, settings, runner, progress)
    if counting and no_counts is not None and knobs.measure != "wall":
        progress.line(f"counts: not measured ({no_counts}); the wall clock alone judges this run")
    elif counting and no_counts is None:
        for suite in measured:
            if suite.name in COUNTED_SUITES and suite.active:
                names = metric_names(suite.name, knobs)
                suite.counted = count_into(perf_dir, suite.name, names, knobs, progress.line)
    for suite in measured:
        files = write_suite(target, suite.name, suite.results(), run_id)
        startup = float(np.median(suite.startup_s)) if suite.startup_s else 0.0
        outcomes.append(CollectOutcome(suite.name, suite.results(), files, len(suite.runs), startup))
    if knobs.cold:
        progress.line(f"cold vs warm: {write_cache_profiles(perf_dir)}")
    elif PerfDir(perf_dir).cold.is_dir():
        _refresh_cache_profiles(perf_dir, progress)
    return outcomes


def _refresh_cache_profiles(perf_dir: Path, progress: Progress) -> None:
    """New warm runs beside earlier cold ones: the cold / warm profiles compare against these, so that every
    reader (the CI outputs, the report) finds them current without recomputing them from the raw runs."""
    try:
        progress.line(f"cold vs warm: {write_cache_profiles(perf_dir)}")
    except InputError as exc:
        progress.line(f"cold vs warm: not refreshed ({exc.one_line()})")
