"""`hologram report` / `make report` in one straight line: stack → collect → probe → judge once → render → record.

    run(request)
      ├─ stack     the embedded Kubo + marketplace, unless IPFS_API / GRAPHQL_URL name real services
      ├─ collect   the perf suites (wall clock, and counted under callgrind when valgrind is there)
      ├─ probe     one E2E run: IPFS → GraphQL marketplace → install → resolve → search
      ├─ judge     `verdict.judge`, once; verdict.json is what every later output repeats
      ├─ record    this run appended to the history store (before the notebooks: their trends include it)
      ├─ notebook  the three notebooks with papermill, in parallel, each to its HTML page
      └─ pages     the history page and the front page

Each phase prints one line with its duration on stderr (a terminal and a CI log alike); stdout carries the result.
The report is written whatever the verdict; only a report that could not be written at all is an error.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from hologram_lib import config, credentials, provenance
from hologram_lib.clock import new_run_id
from hologram_lib.devstack import stack
from hologram_lib.e2e.events import EventLog, read_events
from hologram_lib.e2e.probe import Probe, ProbeResult, record_latencies
from hologram_lib.errors import Busy, InputError, StackError
from hologram_lib.history.append import append_report
from hologram_lib.history.artifacts import current_run_id
from hologram_lib.history.series import Trend, trends
from hologram_lib.layout import Reports
from hologram_lib.locks import locked
from hologram_lib.outcomes import Step
from hologram_lib.paired_documents import NoiseDocument, read_noise
from hologram_lib.perf.collect import collect
from hologram_lib.perf.files import ERROR_PREFIX, MetricData, MetricResult, load_perf_dir, write_suite
from hologram_lib.perf.suites import SUITE_BUILDERS, metric_names
from hologram_lib.report import history_page, kernel, params, render
from hologram_lib.report.index import write_index, write_unjudged_index
from hologram_lib.verdict import Overall, default_inputs, judge, write_verdict


@dataclass(frozen=True, kw_only=True)
class ReportRequest:
    """What `hologram report` was asked: where to write, the notebooks' parameters, and how to collect."""

    reports_dir: Path
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    profile: str | None = None
    collect: bool = True
    state_dir: Path = Path(".stack")
    as_main: bool = False
    # The checkout whose notebooks/ run: the one this package came from, wherever the command was started.
    root: Path = field(default_factory=kernel.project_root)


class Phases:
    """One line per phase with its duration, as each phase ends (a failed phase says so, then the error goes on)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr

    def say(self, name: str, seconds: float, detail: str = "") -> None:
        self.stream.write(f"phase {name}: {seconds:.1f} s{f' ({detail})' if detail else ''}\n")
        self.stream.flush()

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[list[str]]:
        """Time the block; what it appends to the yielded list is said after the duration."""
        start, details = time.perf_counter(), list[str]()
        try:
            yield details
        except BaseException as exc:
            self.stopped(name, start, exc)
            raise
        self.say(name, time.perf_counter() - start, "; ".join(details))

    def stopped(self, name: str, start: float, exc: BaseException) -> None:
        why = " ".join(str(exc).split()) or type(exc).__name__  # an interrupt has no message
        self.say(name, time.perf_counter() - start, f"stopped: {why[:160]}")

    def notebook(self, run: render.NotebookRun) -> None:
        self.say(f"notebook {run.name}", run.seconds, "ok" if run.ok else f"failed: {run.error}")


@dataclass(kw_only=True)
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


def run(request: ReportRequest, phases: Phases | None = None) -> ReportOutcome:
    """The whole report on one folder, which it holds locked (a second report on it is exit 2, not a mixed folder)."""
    for name, values in request.parameters.items():  # a bad parameter fails before any work
        params.check(name, values)
    asked = Reports(request.reports_dir).index  # said as the user wrote it
    # Absolute from the start: the notebooks run in the checkout, wherever the command was started.
    request = replace(request, reports_dir=request.reports_dir.resolve(), state_dir=request.state_dir.resolve())
    try:
        with locked(request.reports_dir, wait=False):
            return replace(_run(request, phases or Phases()), index=asked)
    except Busy:
        raise InputError(
            "another report is running on this folder: wait for it, or give this one another --reports-dir",
            request.reports_dir,
        ) from None


def _run(request: ReportRequest, phases: Phases) -> ReportOutcome:
    start = time.perf_counter()
    reports = Reports(request.reports_dir)
    settings = config.gate_settings(request.profile)
    # From here on the index describes this run: first "in progress", at the end the verdict or why there is none —
    # never the previous run's PASS beside freshly rendered pages.
    write_unjudged_index(reports.index, "in progress", IN_PROGRESS)
    reports.verdict.unlink(missing_ok=True)  # the previous run's verdict is not this run's
    clear_leftovers(request.reports_dir)
    clear_previous_outputs(request.reports_dir, collect=request.collect)
    try:
        problems = collect_everything(request, phases) if request.collect else []
        with phases.phase("judge") as said:
            judged = _judged_or_why(reports, settings)  # once, before the notebooks show it
            said.append(judged.one_line() if isinstance(judged, InputError) else judged.verdict.lines()[0])
        if isinstance(judged, Judged):
            with phases.phase("record") as said:
                judged.history = _record(reports, settings, judged.verdict, as_main=request.as_main)
                said.append(judged.history.removeprefix("history: "))
        runs = render.run_all(request.root, request.reports_dir, _notebook_parameters(request), on_done=phases.notebook)
        if isinstance(judged, InputError):
            raise judged
        with phases.phase("pages") as said:
            page_line = history_page.report_line(reports.history_page, config.history_path())
            judged.history = "; ".join(filter(None, [judged.history, page_line]))
            write_index(
                reports.index,
                judged.verdict,
                judged.metrics,
                judged.events,
                runs,
                provenance.commit(),
                judged.noise,
                *_trends(judged, reports.perf.root),
            )
            said.append(f"front page {reports.index.name}, history page {reports.history_page.name}")
    except InputError as exc:
        write_unjudged_index(reports.index, "could not judge", exc.one_line())
        raise
    except BaseException as exc:  # a crash or an interrupt: the index says so, and the error goes on up
        write_unjudged_index(reports.index, "could not judge", f"the report stopped: {type(exc).__name__}: {exc}")
        raise
    return ReportOutcome(
        index=reports.index,
        verdict=judged.verdict,
        runs=runs,
        seconds=time.perf_counter() - start,
        problems=problems,
        history=judged.history,
    )


def _notebook_parameters(request: ReportRequest) -> dict[str, dict[str, Any]]:
    parameters = {name: dict(values) for name, values in request.parameters.items()}
    if request.profile:
        for name in ("perf_analysis", "baseline_drift"):
            parameters.setdefault(name, {}).setdefault("profile", request.profile)
    return parameters


def collect_everything(request: ReportRequest, phases: Phases) -> list[str]:
    """Perf suites + one E2E probe run, on the configured services or the embedded stack.

    A stack that will not start is reported and the core suite still runs (a report with the core figures beats
    no report), but the service suites and the E2E run record it as their **error** — never as a skip, which a
    profile could allow: services that were meant to be probed and were not must fail the verdict.
    """
    try:
        with _stack_phase(request, phases) as env:
            _measure(request, env, phases)
    except StackError as exc:
        reason = "the embedded stack did not start: " + " ".join(str(exc).split())[:400]
        with phases.phase("collect") as said:
            _measure_without_services(request, dict(os.environ), reason)
            said.append("core suite only: " + reason)
        return [reason]
    return []


@contextlib.contextmanager
def _stack_phase(request: ReportRequest, phases: Phases) -> Iterator[dict[str, str]]:
    """The services for the run, their start timed as the `stack` phase (a stack that fails to start says so)."""
    start = time.perf_counter()
    with contextlib.ExitStack() as running:  # a generator's context cannot be entered twice: one `with`, one stop
        try:
            env = running.enter_context(stack.serving(request.state_dir))
        except BaseException as exc:
            phases.stopped("stack", start, exc)
            raise
        configured = all(config.service_endpoints())
        phases.say("stack", time.perf_counter() - start, "IPFS_API / GRAPHQL_URL as set" if configured else "embedded")
        yield env


def _measure(request: ReportRequest, env: dict[str, str], phases: Phases) -> None:
    settings = config.gate_settings(request.profile, environ=env)
    knobs = credentials.perf_knobs(environ=env)
    if notice := config.token_notice(knobs.token_file):
        print(notice, flush=True)
    reports = Reports(request.reports_dir)
    with phases.phase("collect") as said:
        outcomes = collect(reports.perf.root, list(SUITE_BUILDERS), knobs, settings, env=env)
        said.append(", ".join(f"{o.suite}: {o.runs} runs" for o in outcomes))
    with phases.phase("probe") as said:
        result = Probe(credentials.probe_settings(environ=env), reports.events).run()
        record_latencies(reports.perf.root, result)
        said.append(_probe_line(result))


def _probe_line(result: ProbeResult) -> str:
    if result.status == Step.OK:
        return "every step ok"
    return f"{result.status} at {result.failed_step}" if result.failed_step else result.status


def _measure_without_services(request: ReportRequest, env: dict[str, str], reason: str) -> None:
    settings = config.gate_settings(request.profile, environ=env)
    knobs = credentials.perf_knobs(environ=env)
    reports = Reports(request.reports_dir)
    collect(reports.perf.root, ["core"], knobs, settings, env=env)
    run_id = new_run_id()
    for suite in SUITE_BUILDERS:
        if suite != "core":
            failed = [MetricResult(suite, m, None, ERROR_PREFIX + reason) for m in metric_names(suite, knobs)]
            write_suite(reports.perf.root, suite, failed, run_id)
    log = EventLog(reports.events, run_id)
    log.emit("preflight", Step.FAIL, 0.0, error=reason)
    log.emit("run_end", Step.FAIL, 0.0, last_ok=None, failed_step="preflight", error=reason)


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
    noise: NoiseDocument | None
    history: str  # what became of this run in the history store (appended, already there, or why not)


def _judged_or_why(reports: Reports, settings: config.GateSettings) -> Judged | InputError:
    """The verdict, or why there is none: the notebooks still render then, each showing where the data fails."""
    try:
        return _judge(reports, settings)
    except InputError as exc:
        return exc


def _judge(reports: Reports, settings: config.GateSettings) -> Judged:
    """The report's one verdict, from the files, written to verdict.json (as `hologram verdict --json` writes it)."""
    verdict = judge(replace(default_inputs(reports), settings=settings))
    write_verdict(reports.verdict, verdict)
    try:
        events = [line.record for line in read_events(reports.events)[0]]
    except InputError:
        events = []
    return Judged(verdict, load_perf_dir(reports.perf.root), events, read_noise(reports.perf.root), "")


def _record(reports: Reports, settings: config.GateSettings, verdict: Overall, *, as_main: bool) -> str:
    """This run appended to the history store; what became of it (appended, already there, or why not). An append
    that fails is said on the front page and in the command's output, never a lost report: the run's files are all in
    reports/ and `hologram history import` can add them later. (Not in verdict.json: `make gate` writes the same
    verdict without appending anything.)"""
    try:
        return append_report(
            config.history_path(), reports.perf.root, settings.profile, green=verdict.passed, as_main=as_main
        )
    except (InputError, OSError) as exc:
        why = exc.one_line() if isinstance(exc, InputError) else f"{exc.filename}: {exc.strerror}"
        return f"history: this run was NOT appended ({why}); the report is complete without it"
