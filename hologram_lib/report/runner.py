"""`hologram report` / `make report`: collect → execute the notebooks → write reports/index.html.

Collecting runs the perf suites and the E2E probe against IPFS_API / GRAPHQL_URL, or against the embedded
stack when they are unset. The report is written whatever the verdict; only a report that could not be
written at all is an error.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hologram_lib import config
from hologram_lib.clock import new_run_id
from hologram_lib.devstack import stack
from hologram_lib.e2e.events import EventLog, read_events
from hologram_lib.e2e.probe import Probe, record_latencies
from hologram_lib.errors import Busy, InputError, StackError
from hologram_lib.history.append import append_report
from hologram_lib.history.series import Trend, trends
from hologram_lib.history.sources import current_run_id
from hologram_lib.layout import Reports
from hologram_lib.locks import locked
from hologram_lib.perf.collect import collect
from hologram_lib.perf.files import ERROR_PREFIX, MetricData, MetricResult, load_perf_dir, write_suite
from hologram_lib.perf.paired import read_noise
from hologram_lib.perf.suites import SUITE_BUILDERS, metric_names
from hologram_lib.report import history_page, params, render
from hologram_lib.report.index import write_index, write_unjudged_index
from hologram_lib.status import Step
from hologram_lib.verdict import Overall, default_inputs, judge, write_verdict


@dataclass
class ReportOutcome:
    index: Path
    verdict: Overall
    runs: list[render.NotebookRun]
    seconds: float
    problems: list[str]
    history: str = ""

    def lines(self) -> list[str]:
        failed = [f"  notebook {r.name} failed: {r.error}" for r in self.runs if not r.ok]
        problems = [f"  problem: {p}" for p in self.problems]
        history = [self.history] if self.history else []
        return [*self.verdict.lines(), *problems, *failed, *history, f"report: {self.index} ({self.seconds:.1f} s)"]


def _measure(reports_dir: Path, env: dict[str, str], profile: str | None) -> None:
    settings = config.gate_settings(profile, environ=env)
    knobs = config.perf_knobs(environ=env)
    if notice := config.token_notice(knobs.token_file):
        print(notice, flush=True)
    reports = Reports(reports_dir)
    collect(reports.perf.root, list(SUITE_BUILDERS), knobs, settings, env=env)
    result = Probe(config.probe_settings(environ=env), reports.events).run()
    record_latencies(reports.perf.root, result)


def collect_everything(reports_dir: Path, state_dir: Path, profile: str | None) -> list[str]:
    """Perf suites + one E2E probe run, on the configured services or the embedded stack.

    A stack that will not start is reported and the core suite still runs (a report with the core figures beats
    no report), but the service suites and the E2E run record it as their **error** — never as a skip, which a
    profile could allow: services that were meant to be probed and were not must fail the verdict.
    """
    try:
        with stack.serving(state_dir) as env:
            _measure(reports_dir, env, profile)
    except StackError as exc:
        reason = "the embedded stack did not start: " + " ".join(str(exc).split())[:400]
        _measure_without_services(reports_dir, dict(os.environ), profile, reason)
        return [reason]
    return []


def _measure_without_services(reports_dir: Path, env: dict[str, str], profile: str | None, reason: str) -> None:
    settings = config.gate_settings(profile, environ=env)
    knobs = config.perf_knobs(environ=env)
    reports = Reports(reports_dir)
    collect(reports.perf.root, ["core"], knobs, settings, env=env)
    run_id = new_run_id()
    for suite in SUITE_BUILDERS:
        if suite != "core":
            failed = [MetricResult(suite, m, None, ERROR_PREFIX + reason) for m in metric_names(suite, knobs)]
            write_suite(reports.perf.root, suite, failed, run_id)
    log = EventLog(reports.events, run_id)
    log.emit("preflight", Step.FAIL, 0.0, error=reason)
    log.emit("run_end", Step.FAIL, 0.0, last_ok=None, failed_step="preflight", error=reason)


def build_report(
    root: Path,
    reports_dir: Path,
    parameters: dict[str, dict[str, Any]],
    profile: str | None,
    *,
    collect: bool = True,
    state_dir: Path = Path(".stack"),
    as_main: bool = False,
) -> ReportOutcome:
    for name, values in parameters.items():  # a bad parameter fails before any work
        params.check(name, values)
    settings = config.gate_settings(profile)
    try:
        with locked(reports_dir, wait=False):
            return _build(
                root, reports_dir, parameters, profile, settings, collect=collect, state_dir=state_dir, as_main=as_main
            )
    except Busy:
        raise InputError(
            "another report is running on this folder: wait for it, or give this one another --reports-dir",
            reports_dir,
        ) from None


def _build(
    root: Path,
    reports_dir: Path,
    parameters: dict[str, dict[str, Any]],
    profile: str | None,
    settings: config.GateSettings,
    *,
    collect: bool,
    state_dir: Path,
    as_main: bool,
) -> ReportOutcome:
    start = time.perf_counter()
    index_path = Reports(reports_dir).index
    # From here on the index describes this run: first "in progress", at the end the verdict or why there is none —
    # never the previous run's PASS beside freshly rendered pages.
    write_unjudged_index(index_path, "in progress", IN_PROGRESS)
    Reports(reports_dir).verdict.unlink(missing_ok=True)  # the previous run's verdict is not this run's
    clear_leftovers(reports_dir)
    clear_previous_outputs(reports_dir, collect=collect)
    try:
        problems = collect_everything(reports_dir, state_dir, profile) if collect else []
        try:
            judged: Judged | InputError = _judge(reports_dir, settings, as_main)  # once, before the notebooks show it
        except InputError as exc:  # the notebooks still render, each showing where the data fails
            judged = exc
        if profile:
            for name in ("perf_analysis", "baseline_drift"):
                parameters.setdefault(name, {}).setdefault("profile", profile)
        runs = render.run_all(root, reports_dir, parameters)
        if isinstance(judged, InputError):
            raise judged
        page_line = history_page.report_line(Reports(reports_dir).history_page, config.history_path())
        judged.history = "; ".join(filter(None, [judged.history, page_line]))
        index = write_index(
            index_path,
            judged.verdict,
            judged.metrics,
            judged.events,
            runs,
            config.commit(),
            judged.noise,
            *_trends(judged, Reports(reports_dir).perf.root),
        )
        verdict = judged.verdict
    except InputError as exc:
        write_unjudged_index(index_path, "could not judge", exc.one_line())
        raise
    except BaseException as exc:  # a crash or an interrupt: the index says so, and the error goes on up
        write_unjudged_index(index_path, "could not judge", f"the report stopped: {type(exc).__name__}: {exc}")
        raise
    return ReportOutcome(index, verdict, runs, time.perf_counter() - start, problems, judged.history)


def _trends(judged: Judged, perf_dir: Path) -> tuple[dict[str, Trend], str, str]:
    """Main's trends for the front page, this run's id and the history line; a store that cannot be read is said
    there, not a lost report."""
    try:
        return trends(config.history_path()), current_run_id(perf_dir), judged.history
    except InputError as exc:
        return {}, "", f"{judged.history}; trends not shown: {exc.one_line()}"


LEFTOVER_AGE_S = 600.0


def clear_leftovers(reports_dir: Path) -> None:
    """What a killed report or collect left in the artifact: half-executed notebooks (no other report runs here: we
    hold the folder's lock) and atomic-write temp files old enough that no live writer can own them."""
    for path in Reports(reports_dir).notebooks.glob(".*.running.ipynb"):
        path.unlink(missing_ok=True)
    now = time.time()
    for path in reports_dir.rglob(".*.tmp"):
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > LEFTOVER_AGE_S:
                path.unlink()


def clear_previous_outputs(reports_dir: Path, *, collect: bool) -> list[Path]:
    """What the previous report left that this one will not write: the CI outputs made from its verdict (summary,
    badge, Slack / Teams payloads — `ci-outputs` makes them again from this one's) and, when this report collects,
    the E2E step latencies that each probe appends (this run's e2e figures are its own probe's, never earlier
    reports': drift compared them partly with themselves)."""
    reports = Reports(reports_dir)
    stale = [
        reports.summary,
        reports.badge_svg,
        reports.badge_json,
        *(reports.notification(c) for c in ("slack", "teams")),
    ]
    if collect:
        stale += [reports.perf.samples("e2e"), reports.perf.summary("e2e")]
    removed = [path for path in stale if path.is_file()]
    for path in removed:
        path.unlink()
    return removed


IN_PROGRESS = "a report is being made; if this page stays, it died before it could judge: run `make report` again"


@dataclass
class Judged:
    verdict: Overall
    metrics: dict[str, MetricData]
    events: list[dict[str, Any]]
    noise: dict[str, Any] | None
    history: str  # what became of this run in the history store (appended, already there, or why not)


def _judge(reports_dir: Path, settings: config.GateSettings, as_main: bool) -> Judged:
    """The report's one verdict, from the files, written to verdict.json (as `hologram verdict --json` writes it);
    then this run is appended to the history store. An append that fails is said on the front page and in the
    command's output, never a lost report: the run's files are all in reports/ and `hologram history import` can
    add them later. (Not in verdict.json: `make gate` writes the same verdict without appending anything.)"""
    reports = Reports(reports_dir)
    events_path = reports.events
    metrics = load_perf_dir(reports.perf.root)
    noise = read_noise(reports.perf.root)
    store = config.history_path()
    inputs = replace(default_inputs(reports), settings=settings)
    verdict = judge(inputs)
    write_verdict(reports.verdict, verdict)
    try:
        appended = append_report(store, reports.perf.root, settings.profile, green=verdict.passed, as_main=as_main)
    except (InputError, OSError) as exc:
        why = exc.one_line() if isinstance(exc, InputError) else f"{exc.filename}: {exc.strerror}"
        appended = f"history: this run was NOT appended ({why}); the report is complete without it"
    try:
        events = [line.record for line in read_events(events_path)[0]]
    except InputError:
        events = []
    return Judged(verdict, metrics, events, noise, appended)
