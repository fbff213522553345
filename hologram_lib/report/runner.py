"""`hologram report` / `make report`: collect → execute the notebooks → write reports/index.html.

Collecting runs the perf suites and the E2E probe against IPFS_API / GRAPHQL_URL, or against the embedded
stack when they are unset. The report is written whatever the verdict; only a report that could not be
written at all is an error.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hologram_lib import config
from hologram_lib.devstack import stack
from hologram_lib.e2e.events import read_events
from hologram_lib.e2e.probe import Probe, record_latencies
from hologram_lib.errors import InputError, StackError
from hologram_lib.perf.collect import collect
from hologram_lib.perf.files import load_perf_dir
from hologram_lib.perf.paired import read_noise
from hologram_lib.perf.suites import SUITE_BUILDERS
from hologram_lib.report import params, render
from hologram_lib.report.index import write_index
from hologram_lib.verdict import Overall, overall


@dataclass
class ReportOutcome:
    index: Path
    verdict: Overall
    runs: list[render.NotebookRun]
    seconds: float
    problems: list[str]

    def lines(self) -> list[str]:
        failed = [f"  notebook {r.name} failed: {r.error}" for r in self.runs if not r.ok]
        problems = [f"  problem: {p}" for p in self.problems]
        return [*self.verdict.lines(), *problems, *failed, f"report: {self.index} ({self.seconds:.1f} s)"]


def _measure(reports_dir: Path, env: dict[str, str], profile: str | None) -> None:
    settings = config.gate_settings(profile, environ=env)
    knobs = config.perf_knobs(environ=env)
    collect(reports_dir / "perf", list(SUITE_BUILDERS), knobs, settings, env=env)
    result = Probe(config.probe_settings(environ=env), reports_dir / "e2e" / "events.jsonl").run()
    record_latencies(reports_dir / "perf", result)


def collect_everything(reports_dir: Path, state_dir: Path, profile: str | None) -> list[str]:
    """Perf suites + one E2E probe run, on the configured services or the embedded stack.

    A stack that will not start is reported, and the run goes on without it (the service suites and the
    probe then record why they skipped): a report with the core figures beats no report.
    """
    try:
        with stack.serving(state_dir) as env:
            _measure(reports_dir, env, profile)
    except StackError as exc:
        _measure(reports_dir, dict(os.environ), profile)
        return [f"the embedded stack did not start, services were not probed: {exc}"]
    return []


def build_report(
    root: Path,
    reports_dir: Path,
    parameters: dict[str, dict[str, Any]],
    profile: str | None,
    collect: bool = True,
    state_dir: Path = Path(".stack"),
) -> ReportOutcome:
    start = time.perf_counter()
    for name, values in parameters.items():  # a bad parameter fails before any work
        params.check(name, values)
    settings = config.gate_settings(profile)
    problems: list[str] = []
    if collect:
        problems = collect_everything(reports_dir, state_dir, profile)
    if profile:
        for name in ("perf_analysis", "baseline_drift"):
            parameters.setdefault(name, {}).setdefault("profile", profile)
    runs = render.run_all(root, reports_dir, parameters)
    events_path = reports_dir / "e2e" / "events.jsonl"
    metrics = load_perf_dir(reports_dir / "perf")
    noise = read_noise(reports_dir / "perf")
    verdict = overall(
        metrics,
        reports_dir / "perf" / "baseline.json",
        events_path,
        settings,
        config.regression_threshold_pct(),
        ab_path=reports_dir / "perf" / "ab.json",
        noise=noise,
    )
    try:
        events = [line.record for line in read_events(events_path)[0]]
    except InputError:
        events = []
    index = write_index(reports_dir / "index.html", verdict, metrics, events, runs, config.commit(), noise)
    return ReportOutcome(index, verdict, runs, time.perf_counter() - start, problems)
