"""`hologram history import | export | show | new-changes | page`: the trend store and what is read from it."""

from __future__ import annotations

import argparse
from pathlib import Path

from hologram_lib.commands import Commands, options
from hologram_lib.commands.output import print_lines
from hologram_lib.layout import DEFAULT as DEFAULT_REPORTS

SHOW_LAST = 200  # runs of main per series that `history show` reads


def register(commands: Commands) -> None:
    commands.add_command("history", "the trend store: import, export, show trends and change points", _declare)


def _declare(parser: argparse.ArgumentParser) -> None:
    from hologram_lib.history.browse import PAGE_RUNS

    history = parser.add_subparsers(dest="history_command", required=True)
    imports = history.add_parser(
        "import", help="add runs from reports/perf folders, CI artifacts (folders, zips), upstream CSVs, exports"
    )
    imports.set_defaults(handler=run_import)
    imports.add_argument("paths", type=Path, nargs="+", metavar="PATH")
    options.branch(imports, "branch of runs whose files do not say (artifacts), e.g. main")
    imports.add_argument(
        "--repository", metavar="OWNER/NAME", help="repository of runs whose files do not say (artifacts, older "
        "exports); default: this checkout's (GITHUB_REPOSITORY, else the origin remote)",
    )  # fmt: skip
    imports.add_argument("--machine", help="machine of runs whose files do not say (artifacts), e.g. this runner's "
                         "fingerprint as `hologram history show` names it")  # fmt: skip
    options.store(imports)

    export = history.add_parser(
        "export", help="one row per run and metric: .csv, .parquet, or a folder (Parquet partitioned by date)"
    )
    export.set_defaults(handler=run_export)
    options.out(export, "FILE.csv, FILE.parquet or a new FOLDER", required=True)
    options.store(export)

    show = history.add_parser("show", help="main's trends: level, slow drift and change points per metric")
    show.set_defaults(handler=run_show)
    options.last(show, "runs of main per series (%(default)s)", SHOW_LAST)
    options.branch(show, "branch (%(default)s)", "main")
    options.store(show)

    new_changes = history.add_parser(
        "new-changes", help="the metrics whose main series shifted up beyond the threshold lately, one per line"
    )
    new_changes.set_defaults(handler=run_new_changes)
    options.threshold_pct(new_changes, "smallest shift named")
    options.store(new_changes)

    page = history.add_parser(
        "page", help="reports/history.html: every run by commit, interactive charts, compare two runs (offline)"
    )
    page.set_defaults(handler=run_page)
    options.out(page, "page to write (%(default)s)", default=DEFAULT_REPORTS.history_page)
    options.last(page, "newest runs shown (%(default)s)", PAGE_RUNS)
    options.store(page)


def _store(args: argparse.Namespace) -> Path:
    from hologram_lib.config import history_path

    return history_path(args.store)


def run_import(args: argparse.Namespace) -> int:
    from hologram_lib.history.exchange import import_paths

    store = _store(args)
    print_lines(import_paths(store, args.paths, args.branch, args.repository, args.machine).lines(store))
    return 0


def run_export(args: argparse.Namespace) -> int:
    from hologram_lib.history.exchange import export

    store = _store(args)
    rows = export(store, args.out)
    print(f"history: exported {rows} rows (one per run and metric) from {store} to {args.out}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from hologram_lib.history.series import show_lines

    print_lines(show_lines(_store(args), args.branch, args.last))
    return 0


def run_new_changes(args: argparse.Namespace) -> int:
    """What the nightly bisects (`hologram bisect --change-point`)."""
    from hologram_lib.config import regression_threshold_pct
    from hologram_lib.history.series import newly_shifted_metrics

    print_lines(newly_shifted_metrics(_store(args), regression_threshold_pct(args.threshold_pct)))
    return 0


def run_page(args: argparse.Namespace) -> int:
    from hologram_lib.report.history_page import write_history_page

    store = _store(args)
    out, runs, metrics = write_history_page(args.out, store, args.last)
    print(f"history page: {out} ({runs} runs, {metrics} metrics from {store})")
    return 0
