"""`hologram gate`: the p95 budgets alone (the overall verdict is `hologram verdict`)."""

from __future__ import annotations

import argparse

from hologram_lib.commands import Commands, options
from hologram_lib.commands.output import print_lines, write_json


def register(commands: Commands) -> None:
    commands.add_command("gate", "judge p95 budgets; exit 1 when the gate fails", _declare)


def _declare(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=run_gate)
    options.judged_perf_data(parser)
    options.json_out(parser)


def run_gate(args: argparse.Namespace) -> int:
    from hologram_lib.budgets import evaluate
    from hologram_lib.config import gate_settings
    from hologram_lib.perf.files import load_perf_dir

    report = evaluate(load_perf_dir(args.perf_dir), gate_settings(args.profile, args.budgets))
    write_json(args.json, report.to_dict())
    print_lines(report.lines())
    return 0 if report.passed else 1
