"""`hologram baseline promote` and `hologram baseline compare`: write the baseline, judge drift against it."""

from __future__ import annotations

import argparse

from hologram_lib.commands import Commands, options
from hologram_lib.commands.output import print_lines, write_json
from hologram_lib.commands.settings import baseline_spec, gate_settings


def register(commands: Commands) -> None:
    commands.add_command("baseline", "promote or compare a baseline", _declare)


def _declare(parser: argparse.ArgumentParser) -> None:
    baseline = parser.add_subparsers(dest="baseline_command", required=True)
    promote = baseline.add_parser("promote", help="write baseline.json from this run (main only)")
    promote.set_defaults(handler=run_promote)
    options.judged_perf_data(promote)
    options.baseline(promote)
    promote.add_argument("--force", action="store_true", help="promote off main or after a failed gate")

    compare = baseline.add_parser("compare", help="drift verdicts against the baseline; exit 1 on a regression")
    compare.set_defaults(handler=run_compare)
    options.judged_perf_data(compare)
    options.baseline(compare)
    options.threshold_pct(compare)
    options.json_out(compare)
    options.allow_one_run(compare)
    options.store(compare)
    options.baseline_source(compare)


def run_promote(args: argparse.Namespace) -> int:
    from hologram_lib import config
    from hologram_lib.baseline.promotion import promote_perf_dir

    settings = config.gate_settings(args.profile, args.budgets)  # the profile's: promote takes no run options
    promotion = promote_perf_dir(args.perf_dir, settings, config.named_baseline(args.baseline), force=args.force)
    print(promotion.line())
    return 0


def run_compare(args: argparse.Namespace) -> int:
    from hologram_lib.baseline import compare
    from hologram_lib.config import regression_threshold_pct
    from hologram_lib.history.baseline_source import choose
    from hologram_lib.paired_documents import read_noise
    from hologram_lib.perf.files import load_perf_dir
    from hologram_lib.verdict import calibration_note

    settings = gate_settings(args)
    threshold = regression_threshold_pct(args.threshold_pct)
    noise = read_noise(args.perf_dir)
    baseline, source, notes = choose(baseline_spec(args, required=True), args.perf_dir)
    assert baseline is not None  # required: an absent file raised
    report = compare(baseline, load_perf_dir(args.perf_dir), threshold, settings, noise)
    write_json(args.json, report.to_dict())
    said = (*notes, f"judged against {source.line()}", calibration_note(args.perf_dir, noise))
    print_lines([*report.lines(), *(f"  note: {n}" for n in said)])
    return 0 if report.passed else 1
