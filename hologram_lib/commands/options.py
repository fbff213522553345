"""Every option that more than one command takes, declared once: its type, its default (from the constant that
defines it, so that the help cannot drift from the code) and its help text. A command varies only what an option is
for (`what`), never its type or default source. Option lists that live in heavy modules (the suites, the baseline
sources) are imported inside the helper, i.e. only when the command that takes them was chosen."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path

from hologram_lib.config import (
    BASELINE_SOURCES,
    DEFAULT_E2E_TIMEOUT_S,
    DEFAULT_EVENTS,
    DEFAULT_HISTORY,
    DEFAULT_PERF_DIR,
    DEFAULT_SAMPLES,
    DEFAULT_THRESHOLD_PCT,
    HISTORY_RUNS,
    MEASURES,
    PROFILES,
)
from hologram_lib.layout import REPORTS

Parser = argparse.ArgumentParser


def positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {raw!r}")
    return value


def positive_float(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {raw!r}")
    return value


def perf_dir(parser: Parser, what: str = "perf data directory") -> None:
    parser.add_argument("--perf-dir", type=Path, default=DEFAULT_PERF_DIR, help=f"{what} (%(default)s)")


def profile(parser: Parser) -> None:
    parser.add_argument("--profile", help=f"budget profile: {', '.join(PROFILES)} (else from the CI env)")


def budgets(parser: Parser) -> None:
    parser.add_argument("--budgets", type=Path, help="TOML file with budgets for more metrics")


def judged_perf_data(parser: Parser) -> None:
    """What the budget gate judges: the perf folder, the profile and more budgets."""
    perf_dir(parser)
    profile(parser)
    budgets(parser)


def baseline(parser: Parser) -> None:
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a baseline file that always wins (else HOLOGRAM_BASELINE; else the rule: the store's green main "
        "runs, then PERF_DIR/baseline.json); absent or bad: exit 2",
    )


def threshold_pct(parser: Parser, what: str = "relative change that matters") -> None:
    # No argparse default: REGRESSION_THRESHOLD_PCT applies when the option is absent (config.regression_threshold_pct).
    parser.add_argument(
        "--threshold-pct", type=float, help=f"{what} (REGRESSION_THRESHOLD_PCT, else {DEFAULT_THRESHOLD_PCT:g})"
    )


def samples(parser: Parser, what: str = "samples per metric in each run") -> None:
    parser.add_argument("--samples", type=positive_int, default=DEFAULT_SAMPLES, help=f"{what} (%(default)s)")


def runs(parser: Parser, help: str, default: int | None = None) -> None:
    """--runs: how many process runs (per suite, side, group or step); the help says what they are and `%(default)s`."""
    parser.add_argument("--runs", type=positive_int, default=default, help=help)


def max_runs(parser: Parser, help: str, default: int | None = None) -> None:
    parser.add_argument("--max-runs", type=positive_int, default=default, help=help)


def allow_one_run(parser: Parser) -> None:
    parser.add_argument(
        "--allow-one-run",
        action="store_true",
        help="let a one-run baseline or run decide drift (blind to the noise between processes)",
    )


def measure(
    parser: Parser,
    choices: Sequence[str] = MEASURES,
    default: str | None = None,
    help: str = f"instructions: also count the core suite under callgrind (HOLOGRAM_MEASURE, else {MEASURES[0]})",
) -> None:
    parser.add_argument("--measure", choices=choices, default=default, help=help)


def suite(parser: Parser, what: str = "suite") -> None:
    from hologram_lib.perf.suites import SUITE_BUILDERS  # numpy: only for the commands that measure

    parser.add_argument(
        "--suite", action="append", choices=tuple(SUITE_BUILDERS), help=f"{what} (repeatable; default all)"
    )


def json_out(parser: Parser, what: str = "the machine-readable verdict") -> None:
    parser.add_argument("--json", type=Path, help=f"write {what} here")


def events(parser: Parser, what: str = "E2E event log") -> None:
    parser.add_argument("--events", type=Path, default=DEFAULT_EVENTS, help=f"{what} (%(default)s)")


def store(parser: Parser) -> None:
    parser.add_argument("--store", type=Path, help=f"history store (HOLOGRAM_HISTORY, else {DEFAULT_HISTORY})")


def baseline_source(parser: Parser) -> None:
    """--baseline-source and --history-runs: where drift's baseline comes from when none is named."""
    parser.add_argument(
        "--baseline-source",
        choices=BASELINE_SOURCES,
        default=BASELINE_SOURCES[0],
        help="when no baseline is named: the store's last green main runs, else PERF_DIR/baseline.json (%(default)s, "
        "the default); history insists on the store, file ignores it",
    )
    parser.add_argument(
        "--history-runs",
        type=positive_int,
        default=HISTORY_RUNS,
        help="green main runs of the history baseline (%(default)s)",
    )


def reports_dir(parser: Parser, what: str = "the report's folder") -> None:
    parser.add_argument("--reports-dir", type=Path, default=REPORTS, help=f"{what} (%(default)s)")


def state_dir(parser: Parser, what: str = "embedded stack state") -> None:
    from hologram_lib.devstack.stack import DEFAULT_STATE_DIR

    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR, help=f"{what} (%(default)s)")


def timeout(parser: Parser, help: str, default: float | None) -> None:
    """--timeout in seconds; the help says what for and shows the default, e.g. "seconds in all (%(default)s)"."""
    parser.add_argument("--timeout", type=positive_float, default=default, help=help)


def probe_timeout(parser: Parser) -> None:
    # No argparse default: E2E_TIMEOUT_S applies when the option is absent (config.probe_settings).
    timeout(parser, f"seconds per call (E2E_TIMEOUT_S, else {DEFAULT_E2E_TIMEOUT_S:g})", None)


def dry_run(parser: Parser, what: str) -> None:
    parser.add_argument("--dry-run", action="store_true", help=what)


def out(parser: Parser, help: str, *, default: Path | None = None, required: bool = False) -> None:
    parser.add_argument("--out", type=Path, default=default, required=required, help=help)


def last(parser: Parser, help: str, default: int) -> None:
    parser.add_argument("--last", type=positive_int, default=default, help=help)


def branch(parser: Parser, help: str, default: str | None = None) -> None:
    parser.add_argument("--branch", default=default, help=help)


def no_introspection(parser: Parser) -> None:
    parser.add_argument("--no-introspection", action="store_true", help="serve GraphQL without introspection")
