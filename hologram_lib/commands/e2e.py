"""`hologram e2e probe` and `hologram e2e summary`: the end-to-end probe and its event log."""

from __future__ import annotations

import argparse

from hologram_lib.commands import Commands, options
from hologram_lib.commands.output import print_lines, write_json
from hologram_lib.commands.settings import say_token_source
from hologram_lib.errors import InputError

SUMMARY_RUNS = 20  # the newest runs whose success rates `e2e summary` shows


def register(commands: Commands) -> None:
    commands.add_command("e2e", "the end-to-end probe and its event log", _declare)


def _declare(parser: argparse.ArgumentParser) -> None:
    e2e = parser.add_subparsers(dest="e2e_command", required=True)
    probe = e2e.add_parser("probe", help="publish → install → resolve → search against IPFS_API / GRAPHQL_URL")
    probe.set_defaults(handler=run_probe)
    options.events(probe, "event log to append to")
    options.perf_dir(probe, "where step latencies go")
    options.probe_timeout(probe)

    summary = e2e.add_parser("summary", help="counts, success rates, last events; exit 1 if the last run failed")
    summary.set_defaults(handler=run_summary)
    options.events(summary, "event log")
    options.runs(summary, "runs for the success rates (%(default)s)", SUMMARY_RUNS)
    options.json_out(summary, "the summary as JSON")


def run_probe(args: argparse.Namespace) -> int:
    from hologram_lib.credentials import probe_settings
    from hologram_lib.e2e.probe import Probe, record_latencies

    settings = probe_settings(args.timeout)
    say_token_source(settings.token_file)
    result = Probe(settings, args.events).run()
    record_latencies(args.perf_dir, result)
    print(result.line(args.events))
    return 1 if result.failed else 0


def run_summary(args: argparse.Namespace) -> int:
    from hologram_lib.e2e.summary import summarize

    summary = summarize(args.events, args.runs)
    write_json(args.json, summary.to_dict())
    print_lines(summary.lines())
    if summary.latest_run is None:
        raise InputError("no readable events: expected JSON lines written by `hologram e2e probe`", args.events)
    return 1 if summary.latest_failed else 0
