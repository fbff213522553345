"""Append a report's run to the history store (what `hologram report` does after it has judged the run)."""

from __future__ import annotations

from pathlib import Path

from hologram_lib import config
from hologram_lib.history.series import newest_recorded
from hologram_lib.history.sources import run_from_perf_dir
from hologram_lib.history.store import add_runs


def append_report(store: Path, perf_dir: Path, profile: str, *, green: bool) -> str:
    """Store this perf folder's run with its provenance; returns one line saying what happened. A run already
    stored (a re-render with --no-collect) is left as it is."""
    origin = {**config.provenance(profile, config.perf_knobs()), "machine": config.machine_fingerprint()}
    run = run_from_perf_dir(perf_dir, str(perf_dir), origin, green)
    if not run.metrics:
        return f"history: nothing to append (no metric with data in {perf_dir})"
    newest = newest_recorded(store)
    stored, _ = add_runs(store, [run])
    if not stored:
        return f"history: run {run.run_id} was already stored in {store}"
    skew = (
        f"; it is older than the newest stored run ({newest:%Y-%m-%d %H:%M:%S} UTC) and takes its place by time"
        if newest is not None and run.recorded_at < newest
        else ""
    )
    return f"history: appended run {run.run_id} to {store}{skew}"
