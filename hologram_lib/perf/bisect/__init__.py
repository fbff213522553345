"""`hologram bisect`: from a good and a bad commit to the first commit whose metric moved, and where its work went.

The candidates are the commits after `good` up to `bad` along the first-parent line (what CI measured on main).
With `descend`, a first bad commit that is a merge is searched further: along the first-parent line of the branch
it merged (`merge^1..merge^2`), judged against the same good; when nothing on that branch moved, the merge itself
is the answer (the branches moved only together). Each measured commit is
checked out in a temporary git worktree (`paired.worktree`: removed whatever happens, SIGTERM included, since the
CLI turns it into KeyboardInterrupt) and judged against `good`:

- on counts (`--measure instructions`): one counted process per metric and commit (`perf.counted`), a moved count is
  one beyond max(threshold, the count noise floor). Counts are near-deterministic, so one count per step decides it
  and the search needs 1 + ⌈log2 n⌉ measured commits (good included); good and the first midpoint are counted at
  the same time (two cores). The answer carries the C functions whose cost moved most between the first bad commit
  and the last good one before it, from their callgrind profiles (`callgrind.top_changes`).
- on the wall clock (`--measure time`): at each step, interleaved runs of the candidate and good (`paired`), judged
  paired; an inconclusive step is said aloud and measured again with twice the runs up to `max_runs`; when it stays
  inconclusive the bisection stops and says so — it never guesses.

A commit whose target cannot be imported or fails is skipped like `git bisect skip`, and said; when skipped commits
hide where the change is, the answer names them all instead of picking one. The bad commit is not measured up
front: it is assumed bad, and only counted when the search ends on it (a range without any change then says so).

Modules: `commits` (the range, from git), `search` (the binary search and its answer), `probes` (judging a commit by
counts or by the wall clock), `metrics` (which metrics); this one is the command: the time limit, the run, and
bisect.json.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from hologram_lib import atomic
from hologram_lib.clock import utc_stamp
from hologram_lib.config import PerfKnobs
from hologram_lib.errors import ExitCode, InputError
from hologram_lib.layout import PerfDir
from hologram_lib.perf.bisect.commits import Commit, candidates, check_repository
from hologram_lib.perf.bisect.metrics import bisected_key, metric_keys, wall_name
from hologram_lib.perf.bisect.probes import CountProbe, WallProbe
from hologram_lib.perf.bisect.search import (
    Answer,
    Outcome,
    Step,
    Verdict,
    midpoint,
    search,
    search_descending,
    steps_needed,
)
from hologram_lib.perf.callgrind import FunctionChange
from hologram_lib.perf.counted import Valgrind

__all__ = [
    "BisectRequest",
    "Commit",
    "Step",
    "Verdict",
    "bisected_key",
    "exit_code",
    "lines",
    "metric_keys",
    "midpoint",
    "run_bisect",
    "search",
    "steps_needed",
    "write",
]

KIND = "hologram-bisect/1"
# Cost estimates for the time limit, checked before measuring, on the high side (2-core runner): a counted commit
# (encode under callgrind) took ≈5 s at load 2–3 (bench_bisect: 7 commits in 26–35 s) and 10–20 s under load 9–12;
# one wall-clock run of the core suite ≈3 s.
COUNT_S_PER_PROCESS = 20.0
WALL_S_PER_RUN = 3.0


@dataclass(frozen=True)
class BisectRequest:
    good_ref: str
    bad_ref: str
    keys: list[str]
    counted: bool
    threshold_pct: float
    descend: bool = False
    time_limit_s: float = 3600.0
    runs: int = 5
    max_runs: int = 20


def estimate_s(request: BisectRequest, candidate_count: int) -> float:
    steps = steps_needed(candidate_count)
    if request.counted:
        processes = len({wall_name(k) for k in request.keys})
        return steps * COUNT_S_PER_PROCESS * math.ceil(processes / max(1, os.cpu_count() or 1))
    return (steps - 1) * 2 * request.runs * WALL_S_PER_RUN


def run_bisect(
    start: Path,
    request: BisectRequest,
    knobs: PerfKnobs,
    valgrind: Valgrind | None,
    perf_dir: Path,
    say: Callable[[str], None],
) -> dict[str, object]:
    """Check the range, search it, and return the bisect.json document (written by the caller)."""
    root, good, bad = check_repository(start, request.good_ref, request.bad_ref)
    commits = candidates(root, good.hash, bad.hash)
    if not commits or commits[-1].hash != bad.hash:
        raise InputError(f"bisect: no commits between --good {request.good_ref} and --bad {request.bad_ref}")
    estimate = estimate_s(request, len(commits))
    if estimate > request.time_limit_s:
        raise InputError(
            f"bisect: {len(commits)} commits need {steps_needed(len(commits))} measured commits (≈{estimate:.0f} s), "
            f"more than --time-limit {request.time_limit_s:g} s: narrow the range"
        )
    line = "the first-parent line" + (", descending into merged branches" if request.descend else "")
    say(
        f"bisect: {len(commits)} commits after {good.label()} along {line}; at most "
        f"{steps_needed(len(commits))} measured commits ({'counts' if request.counted else 'wall clock'})"
    )
    with tempfile.TemporaryDirectory(prefix="hologram-bisect-") as scratch:
        if request.counted:
            assert valgrind is not None, "run_bisect on counts needs valgrind"
            counts = CountProbe(root, valgrind, knobs, request.keys, request.threshold_pct, Path(scratch), say)
            if len(commits) > 1:  # good and the first midpoint at once: two cores, one step's wait
                counts.measure([good, commits[midpoint(-1, len(commits) - 1, list(range(len(commits) - 1)))]])
            outcome, steps = search_descending(root, good, commits, counts.judge, say, descend=request.descend)
            measured = counts.measured
            if outcome.status == Answer.FOUND and outcome.first_bad is not None:
                parent = outcome.parent.commit if outcome.parent else good
                outcome.functions = counts.functions(
                    parent, outcome.first_bad.commit, PerfDir(perf_dir).profiles / "bisect"
                )
        else:
            wall = WallProbe(root, knobs, request.keys, request.threshold_pct, request.runs, request.max_runs, say)
            with wall.good_worktree(good):
                outcome, steps = search_descending(root, good, commits, wall.judge, say, descend=request.descend)
            measured = wall.measured
    return document(request, good, bad, commits, steps, outcome, measured)


def _commit(commit: Commit) -> dict[str, str]:
    return {"commit": commit.hash, "subject": commit.subject}


def _step(step: Step) -> dict[str, object]:
    return {
        **_commit(step.commit),
        "verdict": str(step.verdict),
        "delta_pct": {k: round(100 * (r - 1), 4) for k, r in sorted(step.ratios.items())},
        "note": step.note,
    }


def document(
    request: BisectRequest,
    good: Commit,
    bad: Commit,
    commits: list[Commit],
    steps: list[Step],
    outcome: Outcome,
    measured: int,
) -> dict[str, object]:
    """bisect.json: the range, every measured step in order, and the answer."""
    first_bad = outcome.first_bad
    answer: dict[str, object] = {"status": outcome.status, "message": outcome.message}
    if first_bad is not None:
        parent = outcome.parent
        answer["first_bad"] = {
            **_commit(first_bad.commit),
            "parent": parent.commit.hash if parent else good.hash,
            "delta_pct_vs_good": {k: round(100 * (r - 1), 4) for k, r in sorted(first_bad.ratios.items())},
            "delta_pct_vs_parent": {
                k: round(100 * (r / parent.ratios[k] - 1), 4)
                for k, r in sorted(first_bad.ratios.items())
                if parent is not None and k in parent.ratios
            }
            or {k: round(100 * (r - 1), 4) for k, r in sorted(first_bad.ratios.items())},
            "functions": {k: [asdict(c) for c in changes] for k, changes in sorted(outcome.functions.items())},
        }
    answer["suspects"] = [_commit(c) for c in outcome.suspects]
    return {
        "kind": KIND,
        "created": utc_stamp(),
        "good": {"ref": request.good_ref, **_commit(good)},
        "bad": {"ref": request.bad_ref, **_commit(bad)},
        "measure": "instructions" if request.counted else "time",
        "metrics": request.keys,
        "threshold_pct": request.threshold_pct,
        "first_parent": not request.descend,
        "candidates": len(commits),
        "measured_commits": measured,
        "steps": [_step(s) for s in steps],
        "skipped": [_step(s) for s in steps if s.verdict == Verdict.SKIPPED],
        "answer": answer,
    }


def exit_code(document: dict[str, object]) -> int:
    """0 when the bisection answered (a first bad commit, or no change in the range: bisect.json's answer.status
    says which); 3, could not run to an answer, when it stayed undecided (never a guess)."""
    status = document["answer"]["status"]  # type: ignore[index]
    return int(ExitCode.OK if status in (Answer.FOUND, Answer.NO_CHANGE) else ExitCode.NOT_RUN)


def lines(document: dict[str, object]) -> list[str]:
    """The answer as printed: the first bad commit, its Δ per metric, and where the work went."""
    answer: dict[str, object] = document["answer"]  # type: ignore[assignment]
    out = [f"bisect: {answer['message']} ({document['measured_commits']} measured commits of {document['candidates']})"]
    first_bad = answer.get("first_bad")
    if isinstance(first_bad, dict):
        for key, pct in first_bad["delta_pct_vs_parent"].items():
            vs_good = first_bad["delta_pct_vs_good"].get(key, math.nan)
            out.append(f"  {key}: {pct:+.2f}% vs its parent, {vs_good:+.2f}% vs good")
        for key, changes in first_bad["functions"].items():
            if changes:
                out.append(f"  where {key} went (C functions, instructions per call, parent → first bad):")
                out += [f"    {FunctionChange(**change).line()}" for change in changes]
    return out


def write(perf_dir: Path, doc: dict[str, object]) -> Path:
    return atomic.write_json(PerfDir(perf_dir).root / "bisect.json", doc)
