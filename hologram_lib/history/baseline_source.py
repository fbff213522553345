"""Which baseline a drift verdict uses — the rule, said once (docs/verdicts.md, "One verdict, one baseline rule"):

1. A baseline the user names (`--baseline FILE`, else `HOLOGRAM_BASELINE`) always wins; an absent, truncated or
   otherwise bad one is an InputError (exit 2) — never quietly replaced by another source.
2. Nothing named: `auto` (the default) uses the history store's last green main runs of this repository on this
   machine (history/lanes.py; a recorded verdict re-judged on the runs it named: of this repository, whichever
   machine) when it holds at least MIN_RUNS of them, else the baseline.json beside the perf folder
   (PERF_DIR/baseline.json), else none (drift not compared, said so). A store that cannot be read falls back to
   the file with a note, so that a lost or corrupt CI cache never blocks a gate that has a baseline.json.
3. `--baseline-source history` insists on the store (unreadable or too few runs: exit 2); `file` ignores it.

`baseline compare`, `verdict`, the report and the CI outputs all choose through `choose` — the one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hologram_lib import stats
from hologram_lib.baseline import Baseline, from_history, read_baseline
from hologram_lib.config import HISTORY_RUNS
from hologram_lib.errors import InputError
from hologram_lib.history.artifacts import current_run_id
from hologram_lib.history.lanes import Lane, current_lane
from hologram_lib.history.series import green_main_runs, run_endpoints
from hologram_lib.layout import PerfDir


@dataclass(frozen=True)
class BaselineSpec:
    """What the user asked for. `pinned`: exactly these history runs (re-judging a recorded verdict)."""

    named: Path | None = None
    source: str = "auto"
    store: Path | None = None
    last: int = HISTORY_RUNS
    required: bool = False
    pinned: tuple[str, ...] | None = None
    endpoints: dict[str, str] | None = None  # what the current run measured (config.endpoint_hosts)


@dataclass(frozen=True)
class Source:
    """Which baseline drift was judged against: `named` / `file` / `history` / `none`, where, and its commits."""

    kind: str
    where: str
    commits: str = "?"
    run_ids: tuple[str, ...] = ()
    branch: str = "?"

    def line(self) -> str:
        if self.kind == "none":
            return f"no baseline ({self.where}): drift against a baseline not compared"
        if self.kind == "history":
            return f"the last {len(self.run_ids)} green main runs in {self.where} (commits {self.commits})"
        what = "the named baseline" if self.kind == "named" else "baseline.json"
        return f"{what} {self.where} (branch {self.branch} @ {self.commits})"

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "where": self.where,
            "commits": self.commits,
            "run_ids": list(self.run_ids),
            "branch": self.branch,
            "line": self.line(),
        }


def _file_source(baseline: Baseline, kind: str) -> Source:
    commit, branch = baseline.provenance.get("commit"), baseline.provenance.get("branch")
    return Source(kind, baseline.path, str(commit)[:12] if commit else "?", (), str(branch) if branch else "?")


def choose(spec: BaselineSpec, perf_dir: Path) -> tuple[Baseline | None, Source, list[str]]:
    """(the baseline, which one it is, notes) by the rule above."""
    if spec.named is not None:
        if spec.source == "history":
            raise InputError(
                f"--baseline {spec.named} names a file and --baseline-source history asks for the store: give one"
            )
        named = read_baseline(spec.named)  # absent or bad: exit 2, whatever the store holds
        if other := _other_target(spec, named.provenance):
            raise InputError(f"drift between different targets refused: {other}", spec.named)
        return named, _file_source(named, "named"), []
    notes: list[str] = []
    if spec.source != "file" and spec.store is not None:
        chosen = _from_store(spec, perf_dir, notes)
        if chosen is not None:
            return chosen, _history_source(chosen), notes
    default = PerfDir(perf_dir).baseline
    if default.exists() or spec.required:
        recorded = read_baseline(default)
        if other := _other_target(spec, recorded.provenance):
            return None, Source("none", f"{default} refused: drift between different targets ({other})"), notes
        return recorded, _file_source(recorded, "file"), notes
    return None, Source("none", f"no {default}"), notes


def _from_store(spec: BaselineSpec, perf_dir: Path, notes: list[str]) -> Baseline | None:
    assert spec.store is not None
    insist = spec.source == "history"
    if insist and not spec.store.exists():
        raise InputError("no history store here: expected one for --baseline-source history", spec.store)
    lane = current_lane()
    if spec.pinned is not None:  # the runs a recorded verdict named, whichever of this repository's runners it was
        lane = Lane(lane.repository, None)
    try:
        runs = green_main_runs(spec.store, spec.last, exclude=current_run_id(perf_dir), only=spec.pinned, lane=lane)
    except InputError as exc:
        if insist:
            raise
        notes.append(f"history store not used: {exc.one_line()}")
        return None
    found = len(runs.run_ids)
    if found >= stats.MIN_RUNS:
        endpoints = run_endpoints(spec.store, runs.run_ids, lane).values()
        others = sorted({str(e) for e in endpoints if _differs(spec, e)})
        if not others:
            return from_history(runs)
        why = f"its green main runs measured {', '.join(others)}, this run {spec.endpoints}"
        if insist:
            raise InputError(f"drift between different targets refused: {why}", spec.store)
        notes.append(f"history store not used: drift between different targets refused ({why})")
        return None
    if insist:
        raise InputError(
            f"--baseline-source history: expected at least {stats.MIN_RUNS} green main runs in the store, found "
            f"{found} by {lane.label()}",
            spec.store,
        )
    if found:  # none at all (a laptop's store of local runs) needs no note
        notes.append(f"the history store has {found} green main run(s) by {lane.label()}, fewer than "
                     f"{stats.MIN_RUNS}: not used")  # fmt: skip
    return None


def _history_source(baseline: Baseline) -> Source:
    origin = baseline.provenance
    ids = origin.get("run_ids")
    run_ids = tuple(str(i) for i in ids) if isinstance(ids, tuple | list) else ()
    return Source("history", baseline.path, str(origin.get("commits") or "?"), run_ids, "main")


def _differs(spec: BaselineSpec, recorded: object) -> bool:
    """Whether recorded endpoints name another target than this run's (runs that recorded none are not judged)."""
    return spec.endpoints is not None and isinstance(recorded, dict) and recorded != spec.endpoints


def _other_target(spec: BaselineSpec, provenance: dict[str, object]) -> str | None:
    knobs = provenance.get("knobs")
    recorded = knobs.get("endpoints") if isinstance(knobs, dict) else None
    return f"the baseline measured {recorded}, this run {spec.endpoints}" if _differs(spec, recorded) else None
