"""Which baseline a verdict uses: the history store's last green main runs, or baseline.json (`--baseline-source`).

`auto` (the default) uses the history when the store holds enough green main runs and falls back to the file
otherwise — also when the store cannot be read, with a note naming why, so that a lost or corrupt CI cache never
blocks a gate that has a baseline.json. `history` insists on the store (an unreadable one is exit 2); `file`
ignores it.
"""

from __future__ import annotations

from pathlib import Path

from hologram_lib import stats
from hologram_lib.errors import InputError
from hologram_lib.history.series import HistoryRuns, green_main_runs
from hologram_lib.history.sources import current_run_id

SOURCES = ("auto", "history", "file")
HISTORY_RUNS = 10


def history_baseline(
    store: Path, perf_dir: Path, source: str, last: int = HISTORY_RUNS
) -> tuple[HistoryRuns | None, tuple[str, ...]]:
    """(the history runs to judge against, notes) for `source`; the run being judged is never its own baseline."""
    if source == "file":
        return None, ()
    if source == "history" and not store.exists():
        raise InputError("no history store here: expected one for --baseline-source history", store)
    try:
        runs = green_main_runs(store, last, exclude=current_run_id(perf_dir))
    except InputError as exc:
        if source == "history":
            raise
        return None, (f"history store not used: {exc.one_line()}",)
    if source == "history" and len(runs.run_ids) < stats.MIN_RUNS:  # insisting: no silent baseline.json
        raise InputError(
            f"--baseline-source history: expected at least {stats.MIN_RUNS} green main runs in the store, found "
            f"{len(runs.run_ids)}",
            store,
        )
    return runs, ()
