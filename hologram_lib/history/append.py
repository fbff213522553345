"""Append a report's run to the history store (what `hologram report` does after it has judged the run)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hologram_lib import credentials, machine, provenance
from hologram_lib.history.artifacts import run_from_perf_dir
from hologram_lib.history.lanes import current_repository
from hologram_lib.history.series import newest_recorded
from hologram_lib.history.store import add_runs


def append_report(store: Path, perf_dir: Path, profile: str, *, green: bool, as_main: bool = False) -> str:
    """Store this perf folder's run with its provenance; returns one line saying what happened. A run already
    stored (a re-render with --no-collect) is left as it is.

    Only a CI build of main (or a run marked `as_main` by the user) is stored with its verdict as `green`, which makes
    it a candidate "green main" baseline; any other run — a laptop on branch main, a test in a temp folder — is
    stored as local (green unknown, source `local:…`): it shows in the trends, never becomes a baseline."""
    origin = {**provenance.provenance(profile, credentials.perf_knobs()), "machine": machine.fingerprint()}
    main_build = as_main or provenance.ci_main_build()
    source = f"{'ci' if main_build else 'local'}:{perf_dir}"
    run = run_from_perf_dir(perf_dir, source, origin, green if main_build else None)
    run = replace(run, repository=current_repository())  # with the machine: the lane its levels are compared in
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
    kind = ("a green" if green else "a failed") + " main build" if main_build else "a local run, never a baseline"
    return f"history: appended run {run.run_id} to {store} as {kind}{skew}"
