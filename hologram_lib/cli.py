"""The `hologram` command: argument parsing and exit codes only; the work happens in hologram_lib.

Exit codes (errors.ExitCode): 0 success / gate passed; 1 gate failed; 2 bad input or usage (one line, no
traceback); 3 could not run (a service down, a suite that errored); 4 internal error (one line, the traceback in a
log file); 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hologram_lib.config import DEFAULT_EVENTS, DEFAULT_PERF_DIR
from hologram_lib.errors import ExitCode, HologramError, InputError
from hologram_lib.layout import DEFAULT as DEFAULT_REPORTS
from hologram_lib.layout import REPORTS, PerfDir

if TYPE_CHECKING:
    from hologram_lib.ci.facts import Facts
    from hologram_lib.config import GateSettings, PerfKnobs
    from hologram_lib.history.source import BaselineSpec
    from hologram_lib.perf.counted import Valgrind

SUITES = ("core", "graphql", "ipfs")
DEFAULT_HISTORY_PAGE = DEFAULT_REPORTS.history_page


def _positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {raw!r}")
    return value


def _add_common(parser: argparse.ArgumentParser, *, baseline: bool = False) -> None:
    parser.add_argument("--perf-dir", type=Path, default=DEFAULT_PERF_DIR, help="perf data directory (%(default)s)")
    parser.add_argument("--profile", help="budget profile: pr, main, nightly, default (else from the CI env)")
    parser.add_argument("--budgets", type=Path, help="TOML file with budgets for more metrics")
    if baseline:
        parser.add_argument(
            "--baseline",
            type=Path,
            help="a baseline file that always wins (else HOLOGRAM_BASELINE; else the rule: the store's green main "
            "runs, then PERF_DIR/baseline.json); absent or bad: exit 2",
        )


def _add_history(parser: argparse.ArgumentParser, *, source: bool = False) -> None:
    parser.add_argument("--store", type=Path, help="history store (HOLOGRAM_HISTORY, else .history/history.duckdb)")
    if source:
        parser.add_argument(
            "--baseline-source",
            choices=("auto", "history", "file"),
            default="auto",
            help="when no baseline is named: the store's last green main runs, else PERF_DIR/baseline.json (auto, the "
            "default); history insists on the store, file ignores it",
        )
        parser.add_argument(
            "--history-runs", type=_positive_int, default=10, help="green main runs of the history baseline (10)"
        )


def _positive_float(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {raw!r}")
    return value


def _add_runs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=_positive_int, help="process runs per suite (default: the profile's, 10 or 30)")
    parser.add_argument("--max-runs", type=_positive_int, help="ceiling when a budget stays inconclusive (profile's)")
    parser.add_argument("--samples", type=_positive_int, help="samples per metric in each run (default 200)")


def _add_one_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-one-run",
        action="store_true",
        help="let a one-run baseline or run decide drift (blind to the noise between processes)",
    )


def _add_measure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--measure",
        choices=("wall", "instructions", "auto"),
        help="instructions: also count the core suite under callgrind (HOLOGRAM_MEASURE; default wall)",
    )


def _knobs(args: argparse.Namespace, samples: int | None, *, cold: bool = False) -> PerfKnobs:
    """The perf knobs of a command, with its --measure applied over HOLOGRAM_MEASURE."""
    from dataclasses import replace

    from hologram_lib.config import perf_knobs

    knobs = perf_knobs(samples, cold=cold)
    return replace(knobs, measure=args.measure) if getattr(args, "measure", None) else knobs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hologram", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    perf = commands.add_parser("perf", help="measure latency").add_subparsers(dest="perf_command", required=True)
    collect = perf.add_parser("collect", help="run the perf suites and write reports/perf")
    collect.set_defaults(handler=cmd_collect)
    _add_common(collect)
    collect.add_argument("--suite", action="append", choices=SUITES, help="suite to run (repeatable; default all)")
    _add_runs(collect)
    collect.add_argument(
        "--cold", action="store_true", help="cold profile (as COLD=1): into DIR/cold/, then DIR/cache_profiles.json"
    )
    _add_measure(collect)

    profiles = perf.add_parser(
        "profiles", help="cold / warm p50, p95 and their ratio per metric (refreshes DIR/cache_profiles.json)"
    )
    profiles.set_defaults(handler=cmd_profiles)
    profiles.add_argument("--perf-dir", type=Path, default=DEFAULT_PERF_DIR, help="perf data directory (%(default)s)")

    ab = commands.add_parser("ab", help="paired A/B: base vs head runs interleaved in one job; exit 1 on a regression")
    ab.set_defaults(handler=cmd_ab)
    ab.add_argument("--base", required=True, help="git ref of the base (its target code is measured from a worktree)")
    ab.add_argument("--head", help="git ref of the head (default: the working tree)")
    ab.add_argument("--runs", type=_positive_int, default=10, help="runs per side (%(default)s)")
    ab.add_argument("--samples", type=_positive_int, help="samples per metric in each run (default 200)")
    ab.add_argument("--threshold-pct", type=float, help="relative change that matters (default 10)")
    ab.add_argument("--perf-dir", type=Path, default=DEFAULT_PERF_DIR, help="where ab.json goes (%(default)s)")
    _add_measure(ab)

    bisect = commands.add_parser(
        "bisect",
        help="the first commit between good and bad whose metric moved (exit 0 answered, 3 undecided)",
    )
    bisect.set_defaults(handler=cmd_bisect)
    bisect.add_argument("--good", help="git ref where the metric was as expected")
    bisect.add_argument("--bad", help="git ref where it had moved (default HEAD)")
    bisect.add_argument(
        "--change-point", metavar="METRIC", help="take good and bad from the history store's newest change point"
    )
    bisect.add_argument("--metric", action="append", default=[], help="metric key (repeatable; default: core's)")
    bisect.add_argument(
        "--measure", choices=("instructions", "time"), default="instructions", help="counts or wall clock (%(default)s)"
    )
    bisect.add_argument("--threshold-pct", type=float, help="relative change that matters (default 10)")
    bisect.add_argument("--descend", action="store_true", help="a first bad merge: search the branch it merged too")
    bisect.add_argument(
        "--time-limit", type=_positive_float, default=3600.0, help="seconds, estimated before (%(default)s)"
    )
    bisect.add_argument("--runs", type=_positive_int, default=5, help="wall clock: paired runs per step (%(default)s)")
    bisect.add_argument(
        "--max-runs", type=_positive_int, default=20, help="wall clock: cap when inconclusive (%(default)s)"
    )
    bisect.add_argument(
        "--samples", type=_positive_int, help="wall clock: samples per metric in each run (default 200)"
    )
    bisect.add_argument("--perf-dir", type=Path, default=DEFAULT_PERF_DIR, help="where bisect.json goes (%(default)s)")
    _add_history(bisect)

    calibrate = commands.add_parser("calibrate", help="A/A of the same code: how noisy this runner is (noise.json)")
    calibrate.set_defaults(handler=cmd_calibrate)
    calibrate.add_argument("--runs", type=_positive_int, default=10, help="runs per group (%(default)s)")
    calibrate.add_argument("--samples", type=_positive_int, help="samples per metric in each run (default 200)")
    calibrate.add_argument("--suite", action="append", choices=SUITES, help="suite (repeatable; default all)")
    calibrate.add_argument("--threshold-pct", type=float, help="relative change that matters (default 10)")
    _add_measure(calibrate)
    calibrate.add_argument(
        "--perf-dir", type=Path, default=DEFAULT_PERF_DIR, help="where noise.json goes (%(default)s)"
    )

    gate = commands.add_parser("gate", help="judge p95 budgets; exit 1 when the gate fails")
    gate.set_defaults(handler=cmd_gate)
    _add_common(gate)
    gate.add_argument("--json", type=Path, help="write the machine-readable verdict here")

    baseline = commands.add_parser("baseline", help="promote or compare a baseline")
    baseline_commands = baseline.add_subparsers(dest="baseline_command", required=True)
    promote = baseline_commands.add_parser("promote", help="write baseline.json from this run (main only)")
    promote.set_defaults(handler=cmd_promote)
    _add_common(promote, baseline=True)
    promote.add_argument("--force", action="store_true", help="promote off main or after a failed gate")
    compare = baseline_commands.add_parser(
        "compare", help="drift verdicts against the baseline; exit 1 on a regression"
    )
    compare.set_defaults(handler=cmd_compare)
    _add_common(compare, baseline=True)
    compare.add_argument("--threshold-pct", type=float, help="relative change that matters (default 10)")
    compare.add_argument("--json", type=Path, help="write the machine-readable verdict here")
    _add_one_run(compare)
    _add_history(compare, source=True)

    verdict = commands.add_parser("verdict", help="budget gate + baseline drift + latest E2E run; exit 1 on failure")
    verdict.set_defaults(handler=cmd_verdict)
    _add_common(verdict, baseline=True)
    verdict.add_argument("--events", type=Path, default=DEFAULT_EVENTS, help="E2E event log (%(default)s)")
    verdict.add_argument("--threshold-pct", type=float, help="relative p95 change that matters (default 10)")
    verdict.add_argument("--require-baseline", action="store_true", help="a missing baseline fails (exit 2)")
    verdict.add_argument("--ab", type=Path, help="paired A/B verdicts (default: PERF_DIR/ab.json when present)")
    _add_one_run(verdict)
    verdict.add_argument("--json", type=Path, help="write the machine-readable verdict here")
    _add_history(verdict, source=True)
    verdict.add_argument(
        "--fail-on-change-point",
        action="store_true",
        help="fail when a budgeted metric's main series has a new change point (its last 10 runs) above the threshold",
    )

    history = commands.add_parser("history", help="the trend store: import, export, show trends and change points")
    history.set_defaults(handler=cmd_history)
    history_commands = history.add_subparsers(dest="history_command", required=True)
    imports = history_commands.add_parser(
        "import", help="add runs from reports/perf folders, CI artifacts (folders, zips), upstream CSVs, exports"
    )
    imports.add_argument("paths", type=Path, nargs="+", metavar="PATH")
    imports.add_argument("--branch", help="branch of runs whose files do not say (artifacts), e.g. main")
    _add_history(imports)
    export = history_commands.add_parser(
        "export", help="one row per run and metric: .csv, .parquet, or a folder (Parquet partitioned by date)"
    )
    export.add_argument("--out", type=Path, required=True, help="FILE.csv, FILE.parquet or a new FOLDER")
    _add_history(export)
    show = history_commands.add_parser("show", help="main's trends: level, slow drift and change points per metric")
    show.add_argument("--last", type=_positive_int, default=200, help="runs of main per series (%(default)s)")
    show.add_argument("--branch", default="main", help="branch (%(default)s)")
    _add_history(show)
    new_changes = history_commands.add_parser(
        "new-changes", help="the metrics whose main series shifted up beyond the threshold lately, one per line"
    )
    new_changes.add_argument(
        "--threshold-pct", type=float, help="smallest shift named (REGRESSION_THRESHOLD_PCT, default 10)"
    )
    _add_history(new_changes)
    history_page = history_commands.add_parser(
        "page", help="reports/history.html: every run by commit, interactive charts, compare two runs (offline)"
    )
    history_page.add_argument("--out", type=Path, default=DEFAULT_HISTORY_PAGE, help="page to write (%(default)s)")
    history_page.add_argument("--last", type=_positive_int, help="newest runs shown (default 2000)")
    _add_history(history_page)

    report = commands.add_parser("report", help="collect, execute the notebooks, render reports/index.html")
    report.set_defaults(handler=cmd_report)
    report.add_argument("--reports-dir", type=Path, default=REPORTS, help="output directory (%(default)s)")
    report.add_argument("--no-collect", action="store_true", help="render from the data already in reports/")
    report.add_argument("--profile", help="budget profile for the verdicts (default: from the CI env)")
    report.add_argument("--state-dir", type=Path, default=Path(".stack"), help="embedded stack state (%(default)s)")
    report.add_argument(
        "--as-main-build",
        action="store_true",
        help="store this run in the history as a main build (a green one becomes a baseline candidate); CI builds "
        "of main are marked so on their own, any other run is stored as local",
    )
    report.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="NOTEBOOK.NAME=VALUE",
        help="notebook parameter, e.g. perf_analysis.ecdf_points=500 (JSON value, else a string)",
    )

    e2e = commands.add_parser("e2e", help="the end-to-end probe and its event log")
    e2e.set_defaults(handler=cmd_e2e)
    e2e_commands = e2e.add_subparsers(dest="e2e_command", required=True)
    probe = e2e_commands.add_parser("probe", help="publish → install → resolve → search against IPFS_API / GRAPHQL_URL")
    probe.add_argument("--events", type=Path, default=DEFAULT_EVENTS, help="event log to append to (%(default)s)")
    probe.add_argument("--perf-dir", type=Path, default=DEFAULT_PERF_DIR, help="where step latencies go (%(default)s)")
    probe.add_argument("--timeout", type=_positive_float, help="seconds per call (default E2E_TIMEOUT_S or 10)")
    summary = e2e_commands.add_parser(
        "summary", help="counts, success rates, last events; exit 1 if the last run failed"
    )
    summary.add_argument("--events", type=Path, default=DEFAULT_EVENTS, help="event log (%(default)s)")
    summary.add_argument("--runs", type=_positive_int, default=20, help="runs for the success rates (%(default)s)")
    summary.add_argument("--json", type=Path, help="write the summary as JSON here")

    ci_help = "(exit 0 when written; 2 when the report could not be judged or is absent)"
    summary_cmd = commands.add_parser("summary", help=f"job summary Markdown from reports/ {ci_help}")
    summary_cmd.set_defaults(handler=cmd_summary)
    _add_reports_dir(summary_cmd)
    summary_cmd.add_argument(
        "--out", type=Path, help="write here (default: append to $GITHUB_STEP_SUMMARY when set, else print)"
    )
    badge = commands.add_parser("badge", help=f"reports/badge.svg + shields.io endpoint JSON {ci_help}")
    badge.set_defaults(handler=cmd_badge)
    _add_reports_dir(badge)
    notify = commands.add_parser(
        "notify", help=f"post the verdict to Slack / Teams; a webhook failure is reported, never fatal {ci_help}"
    )
    notify.set_defaults(handler=cmd_notify)
    notify.add_argument("channel", choices=("slack", "teams"))
    _add_reports_dir(notify)
    notify.add_argument("--timeout", type=_positive_float, default=10.0, help="seconds for the webhook (%(default)s)")
    notify.add_argument("--dry-run", action="store_true", help="write the payload, post nothing")
    comment = commands.add_parser(
        "comment",
        help=f"create or edit the PR's one comment (GITHUB_TOKEN); a fork or a 403 is said, not fatal {ci_help}",
    )
    comment.set_defaults(handler=cmd_comment)
    _add_reports_dir(comment)
    comment.add_argument("--dry-run", action="store_true", help="write the Markdown, post nothing")
    comment.add_argument("--out", type=Path, help="where the Markdown goes (default: REPORTS_DIR/comment.md)")
    comment.add_argument("--timeout", type=_positive_float, default=30.0, help="seconds in all (%(default)s)")
    outputs = commands.add_parser(
        "ci-outputs", help=f"summary + badge + cache profiles + Slack / Teams, as the workflow runs them {ci_help}"
    )
    outputs.set_defaults(handler=cmd_ci_outputs)
    _add_reports_dir(outputs)
    outputs.add_argument("--dry-run", action="store_true", help="write every payload, post nothing (local runs)")

    redact = commands.add_parser(
        "redact", help="stdin → stdout with secrets replaced; --check FILES: exit 1 when any holds a secret"
    )
    redact.set_defaults(handler=cmd_redact)
    redact.add_argument("--check", nargs="+", type=Path, metavar="FILE", help="report secrets in these files instead")

    kernel = commands.add_parser(
        "kernel", help="install the `hologram` Jupyter kernel (this venv) for lab and papermill"
    )
    kernel.set_defaults(handler=cmd_kernel)

    stack = commands.add_parser("stack", help="the embedded IPFS node and GraphQL marketplace on loopback")
    stack.set_defaults(handler=cmd_stack)
    stack_commands = stack.add_subparsers(dest="stack_command", required=True)
    for name, text in (
        ("up", "start both servers (or reuse running ones) and print the export lines"),
        ("down", "stop the servers this state directory started"),
        ("status", "say whether the stack runs and answers; exit 1 when it does not"),
        ("run", "run a command with the stack's endpoints set where IPFS_API / GRAPHQL_URL are unset"),
        ("kubo", "find the Kubo the IPFS node runs (HOLOGRAM_KUBO, PATH, cache) or build it once; print it"),
    ):
        command = stack_commands.add_parser(name, help=text)
        command.add_argument("--state-dir", type=Path, default=Path(".stack"), help="stack state (%(default)s)")
        if name in ("up", "run"):
            command.add_argument("--no-introspection", action="store_true", help="serve GraphQL without introspection")
        if name == "up":
            command.add_argument(
                "--timeout",
                type=_positive_float,
                default=180.0,
                help="seconds to wait for both to answer (%(default)s)",
            )
            command.add_argument(
                "--open",
                action="store_true",
                help="DANGER: mutations without a token, for suites whose client sends none (loopback only)",
            )
        if name == "run":
            command.add_argument("argv", nargs=argparse.REMAINDER, help="-- COMMAND [ARG…]")
    return parser


def _add_reports_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reports-dir", type=Path, default=REPORTS, help="the report's folder (%(default)s)")


def _write_json(path: Path | None, document: dict[str, object]) -> None:
    if path is not None:
        from hologram_lib import atomic

        atomic.write_json(path, document)


def _print(lines: list[str]) -> None:
    print("\n".join(lines))


def _say_token_source(token_file: Path | None) -> None:
    from hologram_lib.config import token_notice

    if notice := token_notice(token_file):
        print(notice, flush=True)


def _settings(args: argparse.Namespace) -> GateSettings:
    """The gate settings of a command, with its --runs / --max-runs / --allow-one-run flags applied."""
    from dataclasses import replace

    from hologram_lib.config import gate_settings

    settings = gate_settings(args.profile, args.budgets)
    runs = getattr(args, "runs", None) or settings.runs
    max_runs = getattr(args, "max_runs", None) or max(settings.max_runs, runs)
    if max_runs < runs:
        raise InputError(f"--max-runs {max_runs}: expected at least --runs ({runs})")
    allow_one_run = settings.allow_one_run or getattr(args, "allow_one_run", False)
    return replace(settings, runs=runs, max_runs=max_runs, allow_one_run=allow_one_run)


def cmd_collect(args: argparse.Namespace) -> int:
    from hologram_lib.perf.collect import collect

    settings = _settings(args)
    if args.perf_dir.exists() and not args.perf_dir.is_dir():  # before minutes of measuring, not after
        raise InputError("expected a directory for the perf data, found a file", args.perf_dir)
    knobs = _knobs(args, args.samples, cold=args.cold)
    _say_token_source(knobs.token_file)
    outcomes = collect(args.perf_dir, list(args.suite or SUITES), knobs, settings)
    errors = [r for o in outcomes for r in o.results if r.note.startswith("error: ")]
    for outcome in outcomes:
        startup = f", {outcome.startup_s * 1000:.0f} ms start-up per run" if outcome.runs else ""
        print(f"{outcome.suite}: {outcome.runs} runs{startup}; wrote {outcome.files[0]} and {outcome.files[1]}")
    return ExitCode.NOT_RUN if errors else ExitCode.OK


def cmd_ab(args: argparse.Namespace) -> int:
    from hologram_lib.config import regression_threshold_pct
    from hologram_lib.perf.collect import Progress
    from hologram_lib.perf.paired import run_ab, write_ab

    if args.runs < 3:
        raise InputError(f"--runs {args.runs}: a paired test needs at least 3 runs per side")
    knobs = _knobs(args, args.samples)
    threshold = regression_threshold_pct(args.threshold_pct)
    report = run_ab(
        Path.cwd(), args.base, args.head, args.runs, knobs.samples, threshold, Progress(), knobs=knobs,
        perf_dir=args.perf_dir,
    )  # fmt: skip
    if report.counted is not None:
        from hologram_lib.perf.counted_ab import attribution_document, write_attribution

        write_attribution(args.perf_dir, attribution_document(report.counted, report.results))
    path = write_ab(args.perf_dir, report)
    _print([*report.lines(), f"ab: wrote {path}"])
    return 0 if report.passed else 1


def cmd_bisect(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from hologram_lib.config import regression_threshold_pct
    from hologram_lib.perf import bisect

    good, bad, metrics = args.good, args.bad, list(args.metric)
    if args.change_point:
        if good or bad:
            raise InputError(
                "bisect: --change-point takes good and bad from the store: expected no --good / --bad beside it"
            )
        from hologram_lib.config import history_path
        from hologram_lib.history.series import newest_change_range

        good, bad = newest_change_range(history_path(args.store), args.change_point)
        metrics = metrics or [bisect.bisected_key(args.change_point, args.measure == "instructions")]
    if not good:
        raise InputError("bisect: expected --good REF (or --change-point METRIC)")
    if args.runs < 3 or args.max_runs < args.runs:
        raise InputError(f"bisect: --runs {args.runs} / --max-runs {args.max_runs}: expected 3 ≤ runs ≤ max-runs")
    counted = args.measure == "instructions"
    knobs = replace(_knobs(args, args.samples), measure="instructions" if counted else "wall")
    request = bisect.BisectRequest(
        good, bad or "HEAD", bisect.metric_keys(metrics, knobs, counted), counted,
        regression_threshold_pct(args.threshold_pct), args.descend, args.time_limit, args.runs, args.max_runs,
    )  # fmt: skip
    valgrind = _counting_valgrind(knobs) if counted else None  # exit 2 without valgrind, before anything else
    from hologram_lib.perf.collect import Progress

    document = bisect.run_bisect(Path.cwd(), request, knobs, valgrind, args.perf_dir, Progress().line)
    path = bisect.write(args.perf_dir, document)
    _print([*bisect.lines(document), f"bisect: wrote {path}"])
    return bisect.exit_code(document)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from hologram_lib.config import regression_threshold_pct
    from hologram_lib.perf.collect import Progress
    from hologram_lib.perf.paired import calibrate, noise_lines, write_noise
    from hologram_lib.perf.suites import skip_reason

    if args.runs < 3:
        raise InputError(f"--runs {args.runs}: calibration needs at least 3 runs per group")
    knobs = _knobs(args, args.samples)
    suites = list(args.suite or SUITES)
    reasons = {suite: skip_reason(suite, knobs) for suite in suites}
    threshold = regression_threshold_pct(args.threshold_pct)
    counting = _counting_valgrind(knobs) if "core" in suites else None  # before measuring: exit 2 without valgrind
    document = calibrate(suites, args.runs, knobs.samples, threshold, Progress(), reasons)
    lines = noise_lines(document)
    if counting is not None:
        from hologram_lib.perf.counted_ab import counted_calibration, counted_noise_lines
        from hologram_lib.perf.suites import metric_names

        names = metric_names("core", knobs)
        document["counted"] = counted_calibration(counting, knobs, names, threshold, Progress().line)
        lines += counted_noise_lines(document["counted"])  # type: ignore[arg-type]
    path = write_noise(args.perf_dir, document)
    _print([*lines, f"calibrate: wrote {path}"])
    return 0


def _counting_valgrind(knobs: PerfKnobs) -> Valgrind | None:
    """valgrind when this command counts; --measure instructions without it is an InputError, auto says so."""
    from hologram_lib.perf.counted import find_valgrind, unavailable

    reason = unavailable(knobs)
    if reason is not None:
        if knobs.measure != "wall":
            print(f"counts: not measured ({reason}); the wall clock alone", flush=True)
        return None
    found = find_valgrind()
    return None if isinstance(found, str) else found


def cmd_gate(args: argparse.Namespace) -> int:
    from hologram_lib.config import gate_settings
    from hologram_lib.gate import evaluate
    from hologram_lib.perf.files import load_perf_dir

    settings = gate_settings(args.profile, args.budgets)
    report = evaluate(load_perf_dir(args.perf_dir), settings)
    _write_json(args.json, report.to_dict())
    _print(report.lines())
    return 0 if report.passed else 1


def cmd_promote(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from hologram_lib.baseline import promote
    from hologram_lib.config import gate_settings, named_baseline, perf_knobs, provenance
    from hologram_lib.gate import evaluate
    from hologram_lib.perf.files import load_perf_dir

    settings = gate_settings(args.profile, args.budgets)
    metrics = load_perf_dir(args.perf_dir)
    # Judge what was collected: after `perf collect --suite core` the other suites' budgets are not "missing".
    collected = sorted({data.suite for data in metrics.values()})
    budgets = {name: ms for name, ms in settings.budgets.items() if name.partition(".")[0] in collected}
    passed = evaluate(metrics, replace(settings, budgets=budgets)).passed
    sizes = [len(run) for data in metrics.values() if data.suite == "core" for run in data.runs]
    origin = provenance(settings.profile, perf_knobs(max(sizes) if sizes else None))
    target = named_baseline(args.baseline) or PerfDir(args.perf_dir).baseline  # beside its perf folder unless named
    path = promote(metrics, target, origin, gate_passed=passed, force=args.force)
    print(f"baseline: promoted {path} (the budgets of the suites collected: {', '.join(collected) or 'none'})")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from hologram_lib.baseline import compare
    from hologram_lib.config import regression_threshold_pct
    from hologram_lib.history.source import choose
    from hologram_lib.perf.files import load_perf_dir
    from hologram_lib.perf.paired import read_noise

    settings = _settings(args)
    threshold = regression_threshold_pct(args.threshold_pct)
    noise = read_noise(args.perf_dir)
    baseline, source, notes = choose(_baseline_spec(args, required=True), args.perf_dir)
    assert baseline is not None  # required: an absent file raised
    report = compare(baseline, load_perf_dir(args.perf_dir), threshold, settings, noise)
    _write_json(args.json, report.to_dict())
    from hologram_lib.verdict import calibration_note

    said = (*notes, f"judged against {source.line()}", calibration_note(args.perf_dir, noise))
    _print([*report.lines(), *(f"  note: {n}" for n in said)])
    return 0 if report.passed else 1


def _baseline_spec(args: argparse.Namespace, *, required: bool) -> BaselineSpec:
    from hologram_lib.config import endpoint_hosts, history_path, named_baseline, service_endpoints
    from hologram_lib.history.source import BaselineSpec

    return BaselineSpec(
        named=named_baseline(args.baseline),
        source=args.baseline_source,
        store=history_path(args.store),
        last=args.history_runs,
        required=required,
        endpoints=endpoint_hosts(*service_endpoints()),
    )


def cmd_history(args: argparse.Namespace) -> int:
    from hologram_lib.config import history_path

    store = history_path(args.store)
    if args.history_command == "import":
        from hologram_lib.history.exchange import import_paths

        _print(import_paths(store, args.paths, args.branch).lines(store))
        return 0
    if args.history_command == "export":
        from hologram_lib.history.exchange import export

        rows = export(store, args.out)
        print(f"history: exported {rows} rows (one per run and metric) from {store} to {args.out}")
        return 0
    if args.history_command == "page":
        from hologram_lib.report.history_page import write_history_page

        out, runs, metrics = write_history_page(args.out, store, args.last)
        print(f"history page: {out} ({runs} runs, {metrics} metrics from {store})")
        return 0
    if args.history_command == "new-changes":  # what the nightly bisects (`hologram bisect --change-point`)
        from hologram_lib.config import regression_threshold_pct
        from hologram_lib.history.series import newly_shifted_metrics

        _print(newly_shifted_metrics(store, regression_threshold_pct(args.threshold_pct)))
        return 0
    from hologram_lib.history.series import show_lines

    _print(show_lines(store, args.branch, args.last))
    return 0


def cmd_stack(args: argparse.Namespace) -> int:
    from hologram_lib.devstack import stack

    if args.stack_command == "up":
        if args.open:
            print(stack.OPEN_WARNING, file=sys.stderr)
        info = stack.up(
            args.state_dir, introspection=not args.no_introspection, timeout_s=args.timeout, open_mutations=args.open
        )
        _print(
            [
                f"stack: IPFS {info.ipfs_api} (Kubo {info.ipfs_version or '?'}, pid {info.ipfs_pid}), "
                f"GraphQL {info.graphql_url} (pid {info.graphql_pid})",
                *info.exports(),
            ]
        )
        return 0
    if args.stack_command == "kubo":
        from hologram_lib.devstack import kubo

        found = kubo.locate()
        print(f"stack: Kubo {found.version} at {found.path} (from {found.source})")
        return 0
    if args.stack_command == "down":
        stopped = stack.down(args.state_dir)
        print("stack: stopped " + (", ".join(stopped) if stopped else "nothing (not running)"))
        return 0
    if args.stack_command == "status":
        running = stack.status(args.state_dir)
        print(f"stack: up, IPFS {running.ipfs_api}, GraphQL {running.graphql_url}" if running else "stack: down")
        return 0 if running else 1
    return stack.run(args.state_dir, _command(args.argv), introspection=not args.no_introspection)


def cmd_e2e(args: argparse.Namespace) -> int:
    if args.e2e_command == "summary":
        from hologram_lib.e2e.summary import summarize

        summary = summarize(args.events, args.runs)
        _write_json(args.json, summary.to_dict())
        _print(summary.lines())
        if summary.latest_run is None:
            raise InputError("no readable events: expected JSON lines written by `hologram e2e probe`", args.events)
        return 1 if summary.latest_failed else 0
    from hologram_lib.config import probe_settings
    from hologram_lib.e2e.probe import Probe, record_latencies

    settings = probe_settings(args.timeout)
    _say_token_source(settings.token_file)
    result = Probe(settings, args.events).run()
    record_latencies(args.perf_dir, result)
    if result.status == "skip":
        print(f"e2e probe: SKIP ({result.error})")
        return 0
    if result.status == "fail":
        print(
            f"e2e probe: FAIL run {result.run_id} at {result.failed_step} (last ok: {result.last_ok}): {result.error}"
        )
        return 1
    print(
        f"e2e probe: PASS run {result.run_id}: {len(result.step_ms)} steps in {result.wall_s:.2f} s "
        f"({result.waited_s:.2f} s waiting on the services); events in {args.events}"
    )
    return 0


def cmd_verdict(args: argparse.Namespace) -> int:
    from hologram_lib.config import commit, regression_threshold_pct
    from hologram_lib.verdict import Inputs, judge, write_verdict

    settings = _settings(args)
    if args.ab is not None and not args.ab.exists():
        raise InputError("no paired A/B verdicts here (named by --ab)", args.ab)
    threshold = regression_threshold_pct(args.threshold_pct)
    inputs = Inputs(
        args.perf_dir,
        args.events,
        settings,
        threshold,
        _baseline_spec(args, required=args.require_baseline),
        args.ab,
        commit(),
    )
    result = judge(inputs)
    if args.fail_on_change_point:
        from hologram_lib.config import history_path
        from hologram_lib.history.series import change_point_reasons
        from hologram_lib.verdict import with_reasons

        result = with_reasons(result, change_point_reasons(history_path(args.store), settings, threshold))
    if args.json is not None:
        write_verdict(args.json, result)
    _print(result.lines())
    return 0 if result.passed else 1


def _notebook_parameters(pairs: list[str]) -> dict[str, dict[str, object]]:
    from hologram_lib.report.params import NOTEBOOKS

    parsed: dict[str, dict[str, object]] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        notebook, dot, name = key.partition(".")
        if not sep or not dot or notebook not in NOTEBOOKS:
            raise InputError(f"-p {pair!r}: expected NOTEBOOK.NAME=VALUE with NOTEBOOK one of {', '.join(NOTEBOOKS)}")
        try:
            value: object = json.loads(raw)
        except ValueError:
            value = raw
        parsed.setdefault(notebook, {})[name] = value
    return parsed


def cmd_report(args: argparse.Namespace) -> int:
    from hologram_lib.report.runner import build_report

    parameters = _notebook_parameters(args.parameter)
    outcome = build_report(
        Path.cwd(),
        args.reports_dir,
        parameters,
        args.profile,
        collect=not args.no_collect,
        state_dir=args.state_dir,
        as_main=args.as_main_build,
    )
    _print(outcome.lines())
    return 0


def cmd_profiles(args: argparse.Namespace) -> int:
    from hologram_lib.perf.profiles import profile_lines, refresh_cache_profiles

    profiles = refresh_cache_profiles(args.perf_dir)
    _print([*profile_lines(profiles), f"cache profiles: {PerfDir(args.perf_dir).cache_profiles}"])
    return 0


def _facts(reports_dir: Path) -> Facts:
    """The report folder judged; nothing there at all is an InputError (exit 2) before anything is written."""
    from hologram_lib.ci.facts import gather, nothing_to_judge
    from hologram_lib.layout import Reports

    reports = Reports(reports_dir)
    absent = nothing_to_judge(reports)
    if absent:
        raise InputError(absent)
    return gather(reports)


def _judged(facts: Facts) -> int:
    """0 when the report was judged; 2 (after the outputs were written) when it could not be, said on stderr."""
    if facts.verdict is None:
        print(f"hologram: error: {facts.problem}", file=sys.stderr)
        return 2
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    from hologram_lib import atomic
    from hologram_lib.ci.outputs import write_summary
    from hologram_lib.ci.summary import render
    from hologram_lib.config import ci_run
    from hologram_lib.layout import Reports

    facts = _facts(args.reports_dir)
    text = render(facts)
    if args.out is not None:
        atomic.write_text(args.out, text)
    elif ci_run().step_summary:
        write_summary(text, Reports(args.reports_dir))
    else:
        sys.stdout.write(text)
    return _judged(facts)


def cmd_badge(args: argparse.Namespace) -> int:
    from hologram_lib.ci.badge import write_badge
    from hologram_lib.layout import Reports

    facts = _facts(args.reports_dir)
    reports = Reports(args.reports_dir)
    badge = write_badge(facts, reports.badge_svg, reports.badge_json)
    print(f"badge: {badge.message} ({badge.color}) → {reports.badge_svg}, {reports.badge_json}")
    return _judged(facts)


def cmd_notify(args: argparse.Namespace) -> int:
    from hologram_lib.ci.notify import notify
    from hologram_lib.config import probe_settings, webhook_url
    from hologram_lib.layout import Reports

    facts = _facts(args.reports_dir)
    payload_file = Reports(args.reports_dir).notification(args.channel)
    secrets = [probe_settings().graphql_token]
    delivery = notify(
        args.channel, facts, webhook_url(args.channel), payload_file, secrets, args.timeout, dry_run=args.dry_run
    )
    print(delivery.line(), file=sys.stderr if delivery.outcome == "failed" else sys.stdout)
    return _judged(facts)


def cmd_comment(args: argparse.Namespace) -> int:
    from hologram_lib import atomic
    from hologram_lib.ci.comment import post, render
    from hologram_lib.config import pull_request_api, secret_values

    facts = _facts(args.reports_dir)
    body = render(facts)
    out = args.out if args.out is not None else args.reports_dir / "comment.md"
    atomic.write_text(out, body)
    if args.dry_run:
        print(f"comment: dry run: {out} written, nothing posted")
        return _judged(facts)
    posted = post(body, pull_request_api(), secret_values(), args.timeout)
    print(posted.line(), file=sys.stderr if posted.outcome == "failed" else sys.stdout)
    if posted.outcome == "failed":
        return ExitCode.NOT_RUN
    return _judged(facts)


def cmd_ci_outputs(args: argparse.Namespace) -> int:
    from hologram_lib.ci.outputs import produce
    from hologram_lib.layout import Reports

    outputs = produce(Reports(args.reports_dir), dry_run=args.dry_run)
    _print(outputs.lines)
    return _judged(outputs.facts)


def cmd_redact(args: argparse.Namespace) -> int:
    from hologram_lib.config import secret_values
    from hologram_lib.redact import redact_lines, secret_lines

    secrets = secret_values()  # the configured token and webhook URLs, however they are written
    if not args.check:
        out = getattr(sys.stdout, "unfiltered", sys.stdout)  # the user's data, byte for byte but the secrets
        for line in redact_lines(sys.stdin, secrets):
            out.write(line)
            out.flush()  # a filter on a live log: each line as soon as it is safe
        return 0
    found = []
    for path in args.check:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", path) from None
        found += [
            f"{path}:{number}: a secret-shaped value (redact it or remove it)" for number in secret_lines(text, secrets)
        ]
    _print(found or [f"redact: no secrets in {len(args.check)} file(s)"])
    return 1 if found else 0


def cmd_kernel(_args: argparse.Namespace) -> int:
    from hologram_lib.report.project import ensure_kernel

    print(f"kernel: {ensure_kernel()} runs {sys.executable}")
    return 0


def _command(argv: list[str]) -> list[str]:
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        raise InputError("stack run: expected a command after --")
    return command


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; everything it prints goes through outside.terminal (no control sequence from outside text
    reaches the terminal) with the configured secrets removed, except `redact`'s filtered data, which is the user's
    own stream (redacted by the command itself)."""
    from hologram_lib.config import secret_values
    from hologram_lib.outside import TerminalStream

    streams, secrets = (sys.stdout, sys.stderr), secret_values()
    sys.stdout, sys.stderr = TerminalStream(sys.stdout, secrets), TerminalStream(sys.stderr, secrets)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = streams


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)  # a usage error: argparse exits 2 itself
    handler: Callable[[argparse.Namespace], int] = args.handler
    # A cancelled CI job sends SIGTERM: unwind like Ctrl-C, so that `finally` blocks run (ab removes its worktree,
    # a report marks its index "could not judge").
    for name in ("SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), _interrupt)
    try:
        return int(handler(args))
    except HologramError as exc:  # each error carries its exit code (errors.py draws the hierarchy)
        print(f"hologram: {exc.headline()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except (IsADirectoryError, NotADirectoryError, FileExistsError, PermissionError) as exc:
        print(f"hologram: error: {exc.filename}: cannot write or read there ({exc.strerror})", file=sys.stderr)
        return ExitCode.BAD_INPUT
    except BrokenPipeError:  # `hologram e2e summary | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK
    except Exception as exc:  # a bug: one line here, the traceback in a file (never read as "the gate failed")
        log = _crash_log(exc)
        line = " ".join(f"{type(exc).__name__}: {exc}".split())[:400]
        print(f"hologram: internal error: {line} (traceback in {log})", file=sys.stderr)
        return ExitCode.INTERNAL_ERROR


def _crash_log(exc: Exception) -> Path:
    """The traceback, redacted, in a file of its own under the temp folder (a CI log shows the line naming it)."""
    import tempfile
    import traceback

    from hologram_lib import atomic
    from hologram_lib.redact import redact

    text = redact("".join(traceback.format_exception(exc)))
    handle, name = tempfile.mkstemp(prefix="hologram-crash-", suffix=".log")
    os.close(handle)
    return atomic.write_text(Path(name), text)


if __name__ == "__main__":
    sys.exit(main())
