"""`hologram report`: collect, execute the notebooks, render reports/index.html (`make report`)."""

from __future__ import annotations

import argparse

from hologram_lib.commands import Commands, options
from hologram_lib.commands.output import print_lines


def register(commands: Commands) -> None:
    commands.add_command("report", "collect, execute the notebooks, render reports/index.html", _declare)


def _declare(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=run_report)
    options.reports_dir(parser, "output directory")
    parser.add_argument("--no-collect", action="store_true", help="render from the data already in reports/")
    options.profile(parser)
    options.state_dir(parser)
    parser.add_argument(
        "--as-main-build",
        action="store_true",
        help="store this run in the history as a main build (a green one becomes a baseline candidate); CI builds "
        "of main are marked so on their own, any other run is stored as local",
    )
    parser.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="NOTEBOOK.NAME=VALUE",
        help="notebook parameter, e.g. perf_analysis.ecdf_points=500 (JSON value, else a string)",
    )


def run_report(args: argparse.Namespace) -> int:
    from hologram_lib import pipeline
    from hologram_lib.report.params import parse_assignments

    request = pipeline.ReportRequest(
        reports_dir=args.reports_dir,
        parameters=parse_assignments(args.parameter),
        profile=args.profile,
        collect=not args.no_collect,
        state_dir=args.state_dir,
        as_main=args.as_main_build,
    )
    outcome = pipeline.run(request)
    print_lines(outcome.lines())
    return 0
