"""`hologram verdict`: the one overall verdict — budgets, drift against the baseline, the paired A/B, the latest E2E
run — as `make gate` runs it."""

from __future__ import annotations

import argparse
from pathlib import Path

from hologram_lib.commands import Commands, options
from hologram_lib.commands.output import print_lines
from hologram_lib.commands.settings import baseline_spec, gate_settings
from hologram_lib.errors import InputError


def register(commands: Commands) -> None:
    commands.add_command("verdict", "budget gate + baseline drift + latest E2E run; exit 1 on failure", _declare)


def _declare(parser: argparse.ArgumentParser) -> None:
    from hologram_lib.config import NEW_CHANGE_RUNS

    parser.set_defaults(handler=run_verdict)
    options.judged_perf_data(parser)
    options.baseline(parser)
    options.events(parser)
    options.threshold_pct(parser, "relative p95 change that matters")
    parser.add_argument("--require-baseline", action="store_true", help="a missing baseline fails (exit 2)")
    parser.add_argument("--ab", type=Path, help="paired A/B verdicts (default: PERF_DIR/ab.json when present)")
    options.allow_one_run(parser)
    options.json_out(parser)
    options.store(parser)
    options.baseline_source(parser)
    parser.add_argument(
        "--fail-on-change-point",
        action="store_true",
        help=f"fail when a budgeted metric's main series has a new change point (its last {NEW_CHANGE_RUNS} runs) "
        "above the threshold",
    )


def run_verdict(args: argparse.Namespace) -> int:
    from hologram_lib.config import regression_threshold_pct
    from hologram_lib.provenance import commit
    from hologram_lib.verdict import Inputs, judge, write_verdict

    settings = gate_settings(args)
    if args.ab is not None and not args.ab.exists():
        raise InputError("no paired A/B verdicts here (named by --ab)", args.ab)
    threshold = regression_threshold_pct(args.threshold_pct)
    inputs = Inputs(
        args.perf_dir,
        args.events,
        settings,
        threshold,
        baseline_spec(args, required=args.require_baseline),
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
    print_lines(result.lines())
    return 0 if result.passed else 1
