"""From a command's parsed options to the settings objects the library takes: the options apply over the
environment (config reads it); nothing here decides a verdict."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from hologram_lib.errors import InputError

if TYPE_CHECKING:
    from hologram_lib.config import GateSettings, PerfKnobs
    from hologram_lib.history.baseline_source import BaselineSpec


def gate_settings(args: argparse.Namespace) -> GateSettings:
    """The gate settings of a command, with its --runs / --max-runs / --allow-one-run options applied."""
    from hologram_lib import config

    settings = config.gate_settings(args.profile, args.budgets)
    runs = getattr(args, "runs", None) or settings.runs
    max_runs = getattr(args, "max_runs", None) or max(settings.max_runs, runs)
    if max_runs < runs:
        raise InputError(f"--max-runs {max_runs}: expected at least --runs ({runs})")
    allow_one_run = settings.allow_one_run or getattr(args, "allow_one_run", False)
    return replace(settings, runs=runs, max_runs=max_runs, allow_one_run=allow_one_run)


def perf_knobs(args: argparse.Namespace, *, cold: bool = False) -> PerfKnobs:
    """The perf knobs of a command: its --samples, and its --measure over HOLOGRAM_MEASURE."""
    from hologram_lib import credentials

    knobs = credentials.perf_knobs(args.samples, cold=cold)
    return replace(knobs, measure=args.measure) if getattr(args, "measure", None) else knobs


def baseline_spec(args: argparse.Namespace, *, required: bool) -> BaselineSpec:
    """What the options ask of drift's baseline: --baseline, --baseline-source, --store, --history-runs."""
    from hologram_lib.config import endpoint_hosts, history_path, named_baseline, service_endpoints
    from hologram_lib.history.baseline_source import BaselineSpec

    return BaselineSpec(
        named=named_baseline(args.baseline),
        source=args.baseline_source,
        store=history_path(args.store),
        last=args.history_runs,
        required=required,
        endpoints=endpoint_hosts(*service_endpoints()),
    )


def say_token_source(token_file: Path | None) -> None:
    """One line when the GraphQL token came from the embedded stack's file rather than GRAPHQL_TOKEN."""
    from hologram_lib.config import token_notice

    if notice := token_notice(token_file):
        print(notice, flush=True)
