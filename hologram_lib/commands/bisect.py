"""`hologram bisect`: the first commit between good and bad whose metric moved (perf/bisect.json)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from hologram_lib.commands import Commands, options
from hologram_lib.commands.output import print_lines, say
from hologram_lib.commands.settings import perf_knobs
from hologram_lib.errors import InputError

TIME_LIMIT_S = 3600.0
RUNS = 5  # wall clock: paired runs per step
MAX_RUNS = 20  # wall clock: the cap when a step stays inconclusive


def register(commands: Commands) -> None:
    commands.add_command(
        "bisect", "the first commit between good and bad whose metric moved (exit 0 answered, 3 undecided)", _declare
    )


def _declare(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=run_bisect)
    parser.add_argument("--good", help="git ref where the metric was as expected")
    parser.add_argument("--bad", help="git ref where it had moved (default HEAD)")
    parser.add_argument(
        "--change-point", metavar="METRIC", help="take good and bad from the history store's newest change point"
    )
    parser.add_argument("--metric", action="append", default=[], help="metric key (repeatable; default: core's)")
    options.measure(
        parser, choices=("instructions", "time"), default="instructions", help="counts or wall clock (%(default)s)"
    )
    options.threshold_pct(parser)
    parser.add_argument("--descend", action="store_true", help="a first bad merge: search the branch it merged too")
    parser.add_argument(
        "--time-limit",
        type=options.positive_float,
        default=TIME_LIMIT_S,
        help="seconds, estimated before (%(default)s)",
    )
    options.runs(parser, "wall clock: paired runs per step (%(default)s)", RUNS)
    options.max_runs(parser, "wall clock: cap when inconclusive (%(default)s)", MAX_RUNS)
    options.samples(parser, "wall clock: samples per metric in each run")
    options.perf_dir(parser, "where bisect.json goes")
    options.store(parser)


def run_bisect(args: argparse.Namespace) -> int:
    from hologram_lib.config import regression_threshold_pct
    from hologram_lib.perf import bisect
    from hologram_lib.perf.collect import Progress
    from hologram_lib.perf.counted import counting_valgrind
    from hologram_lib.stats import MIN_RUNS

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
    if args.runs < MIN_RUNS or args.max_runs < args.runs:
        raise InputError(
            f"bisect: --runs {args.runs} / --max-runs {args.max_runs}: expected {MIN_RUNS} ≤ runs ≤ max-runs"
        )
    counted = args.measure == "instructions"
    knobs = replace(perf_knobs(args), measure="instructions" if counted else "wall")
    request = bisect.BisectRequest(
        good, bad or "HEAD", bisect.metric_keys(metrics, knobs, counted), counted,
        regression_threshold_pct(args.threshold_pct), args.descend, args.time_limit, args.runs, args.max_runs,
    )  # fmt: skip
    valgrind = counting_valgrind(knobs, say) if counted else None  # exit 2 without valgrind, before anything else
    document = bisect.run_bisect(Path.cwd(), request, knobs, valgrind, args.perf_dir, Progress().line)
    path = bisect.write(args.perf_dir, document)
    print_lines([*bisect.lines(document), f"bisect: wrote {path}"])
    return bisect.exit_code(document)
