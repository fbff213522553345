"""`hologram perf collect` and `hologram perf profiles`: measuring latency into reports/perf."""

from __future__ import annotations

import argparse

from hologram_lib.commands import Commands, options
from hologram_lib.commands.output import print_lines
from hologram_lib.commands.settings import gate_settings, perf_knobs, say_token_source
from hologram_lib.errors import ExitCode, InputError


def register(commands: Commands) -> None:
    commands.add_command("perf", "measure latency", _declare)


def _declare(parser: argparse.ArgumentParser) -> None:
    perf = parser.add_subparsers(dest="perf_command", required=True)
    collect = perf.add_parser("collect", help="run the perf suites and write reports/perf")
    collect.set_defaults(handler=run_collect)
    options.judged_perf_data(collect)
    options.suite(collect, "suite to run")
    options.runs(collect, "process runs per suite (default: the profile's)")
    options.max_runs(collect, "ceiling when a budget stays inconclusive (default: the profile's)")
    options.samples(collect)
    collect.add_argument(
        "--cold", action="store_true", help="cold profile (as COLD=1): into DIR/cold/, then DIR/cache_profiles.json"
    )
    options.measure(collect)

    profiles = perf.add_parser(
        "profiles", help="cold / warm p50, p95 and their ratio per metric (refreshes DIR/cache_profiles.json)"
    )
    profiles.set_defaults(handler=run_profiles)
    options.perf_dir(profiles)


def run_collect(args: argparse.Namespace) -> int:
    from hologram_lib.perf.collect import collect
    from hologram_lib.perf.suites import SUITE_BUILDERS

    settings = gate_settings(args)
    if args.perf_dir.exists() and not args.perf_dir.is_dir():  # before minutes of measuring, not after
        raise InputError("expected a directory for the perf data, found a file", args.perf_dir)
    knobs = perf_knobs(args, cold=args.cold)
    say_token_source(knobs.token_file)
    outcomes = collect(args.perf_dir, list(args.suite or SUITE_BUILDERS), knobs, settings)
    for outcome in outcomes:
        print(outcome.line())
    return ExitCode.NOT_RUN if any(outcome.errored for outcome in outcomes) else ExitCode.OK


def run_profiles(args: argparse.Namespace) -> int:
    from hologram_lib.layout import PerfDir
    from hologram_lib.perf.profiles import profile_lines, refresh_cache_profiles

    profiles = refresh_cache_profiles(args.perf_dir)
    print_lines([*profile_lines(profiles), f"cache profiles: {PerfDir(args.perf_dir).cache_profiles}"])
    return ExitCode.OK
