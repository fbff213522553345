"""`hologram ab`: the paired A/B of base vs head, runs interleaved in one job (perf/ab.json)."""

from __future__ import annotations

import argparse
from pathlib import Path

from hologram_lib.commands import Commands, options
from hologram_lib.commands.output import print_lines
from hologram_lib.commands.settings import perf_knobs
from hologram_lib.errors import InputError

RUNS = 10  # per side, when --runs is not given


def register(commands: Commands) -> None:
    commands.add_command("ab", "paired A/B: base vs head runs interleaved in one job; exit 1 on a regression", _declare)


def _declare(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=run_ab)
    parser.add_argument(
        "--base", required=True, help="git ref of the base (its target code is measured from a worktree)"
    )
    parser.add_argument("--head", help="git ref of the head (default: the working tree)")
    options.runs(parser, "runs per side (%(default)s)", RUNS)
    options.samples(parser)
    options.threshold_pct(parser)
    options.perf_dir(parser, "where ab.json goes")
    options.measure(parser)


def run_ab(args: argparse.Namespace) -> int:
    from hologram_lib.config import regression_threshold_pct
    from hologram_lib.experiments.ab import run_ab, write_ab
    from hologram_lib.perf.collect import Progress
    from hologram_lib.stats import MIN_RUNS

    if args.runs < MIN_RUNS:
        raise InputError(f"--runs {args.runs}: a paired test needs at least {MIN_RUNS} runs per side")
    knobs = perf_knobs(args)
    threshold = regression_threshold_pct(args.threshold_pct)
    report = run_ab(
        Path.cwd(), args.base, args.head, args.runs, knobs.samples, threshold, Progress(), knobs=knobs,
        perf_dir=args.perf_dir,
    )  # fmt: skip
    if report.counted is not None:
        from hologram_lib.perf.counted_ab import attribution_document, write_attribution

        write_attribution(args.perf_dir, attribution_document(report.counted, report.results))
    path = write_ab(args.perf_dir, report)
    print_lines([*report.lines(), f"ab: wrote {path}"])
    return 0 if report.passed else 1
