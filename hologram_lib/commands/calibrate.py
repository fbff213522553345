"""`hologram calibrate`: an A/A of the same code, how noisy this runner is (perf/noise.json)."""

from __future__ import annotations

import argparse

from hologram_lib.commands import Commands, options
from hologram_lib.commands.output import print_lines, say
from hologram_lib.commands.settings import perf_knobs
from hologram_lib.errors import InputError

RUNS = 10  # per group, when --runs is not given


def register(commands: Commands) -> None:
    commands.add_command("calibrate", "A/A of the same code: how noisy this runner is (noise.json)", _declare)


def _declare(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=run_calibrate)
    options.runs(parser, "runs per group (%(default)s)", RUNS)
    options.samples(parser)
    options.suite(parser)
    options.threshold_pct(parser)
    options.measure(parser)
    options.perf_dir(parser, "where noise.json goes")


def run_calibrate(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from hologram_lib.config import regression_threshold_pct
    from hologram_lib.experiments.calibrate import calibrate, noise_lines, write_noise
    from hologram_lib.perf.collect import Progress
    from hologram_lib.perf.counted import counting_valgrind
    from hologram_lib.perf.suites import SUITE_BUILDERS, skip_reason
    from hologram_lib.stats import MIN_RUNS

    if args.runs < MIN_RUNS:
        raise InputError(f"--runs {args.runs}: calibration needs at least {MIN_RUNS} runs per group")
    knobs = perf_knobs(args)
    suites = list(args.suite or SUITE_BUILDERS)
    reasons = {suite: skip_reason(suite, knobs) for suite in suites}
    threshold = regression_threshold_pct(args.threshold_pct)
    counting = counting_valgrind(knobs, say) if "core" in suites else None  # before measuring: exit 2 without it
    document = calibrate(suites, args.runs, knobs.samples, threshold, Progress(), reasons)
    lines = noise_lines(document)
    if counting is not None:
        from hologram_lib.perf.counted_ab import counted_calibration, counted_noise_lines
        from hologram_lib.perf.suites import metric_names

        names = metric_names("core", knobs)
        counted = counted_calibration(counting, knobs, names, threshold, Progress().line)
        document = replace(document, counted=counted)
        lines += counted_noise_lines(counted)
    path = write_noise(args.perf_dir, document)
    print_lines([*lines, f"calibrate: wrote {path}"])
    return 0
