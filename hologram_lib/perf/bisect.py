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
"""

from __future__ import annotations

import math
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np

from hologram_lib import atomic
from hologram_lib.clock import utc_stamp
from hologram_lib.config import PerfKnobs
from hologram_lib.drift import COUNT_NOISE_FLOOR_PCT
from hologram_lib.errors import CountError, ExitCode, InputError
from hologram_lib.layout import PerfDir
from hologram_lib.perf.callgrind import FunctionChange, compress
from hologram_lib.perf.counted import CountedSample, CountTask, Valgrind, count_tasks, counted_names
from hologram_lib.perf.counted_ab import attribute
from hologram_lib.perf.paired import Side, interleaved_runs, paired_verdicts, repository_root, resolve_ref, worktree
from hologram_lib.perf.suites import metric_names
from hologram_lib.status import Drift

KIND = "hologram-bisect/1"
# Cost estimates for the time limit, checked before measuring, on the high side (2-core runner): a counted commit
# (encode under callgrind) took ≈5 s at load 2–3 (bench_bisect: 7 commits in 26–35 s) and 10–20 s under load 9–12;
# one wall-clock run of the core suite ≈3 s.
COUNT_S_PER_PROCESS = 20.0
WALL_S_PER_RUN = 3.0


class Verdict(StrEnum):
    GOOD = "good"  # no selected metric moved beyond the threshold relative to good
    BAD = "bad"  # at least one moved
    SKIPPED = "skipped"  # the commit could not be measured (does not build, its target fails)
    INCONCLUSIVE = "inconclusive"  # the wall clock could not tell, even with the most runs allowed


class Answer(StrEnum):
    """What a bisection answered (bisect.json's answer.status)."""

    FOUND = "found"  # a first bad commit
    NO_CHANGE = "no-change"  # nothing in the range moved
    UNDECIDED = "undecided"  # skipped or inconclusive commits hide the first bad one


@dataclass(frozen=True)
class Commit:
    hash: str
    subject: str

    def label(self) -> str:
        return f"{self.hash[:12]} {self.subject}"


@dataclass
class Step:
    """One measured commit: its verdict against good, the ratio of each metric to good's, and why if skipped."""

    commit: Commit
    position: int  # in the candidate list; -1 is good
    verdict: Verdict
    ratios: dict[str, float] = field(default_factory=dict)
    note: str = ""

    def line(self) -> str:
        moved = ", ".join(f"{key} {100 * (r - 1):+.2f}%" for key, r in sorted(self.ratios.items()))
        return (
            f"bisect: {self.commit.label()}: {self.verdict}"
            + (f" ({moved})" if moved else "")
            + (f"; {self.note}" if self.note else "")
        )


# --- git -----------------------------------------------------------------------------------------------------------


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=120, check=False)


def subject(root: Path, commit: str) -> str:
    return _git(root, "log", "-1", "--format=%s", commit).stdout.strip()


def candidates(root: Path, good: str, bad: str) -> list[Commit]:
    """The commits after good up to bad along bad's first-parent line, oldest first."""
    done = _git(root, "rev-list", "--reverse", "--first-parent", "--format=%H %s", f"{good}..{bad}")
    commits = []
    for row in done.stdout.splitlines():
        if row.startswith("commit "):
            continue
        hash_, _, text = row.partition(" ")
        commits.append(Commit(hash_, text))
    return commits


def check_repository(start: Path, good_ref: str, bad_ref: str) -> tuple[Path, Commit, Commit]:
    """The checkout's root and the two commits; a dirty tree, a missing ref or refs that are not ancestor and
    descendant are an InputError (exit 2), found before anything is measured."""
    root = repository_root(start, "bisect")
    dirty = _git(root, "status", "--porcelain", "--untracked-files=no").stdout.strip()
    if dirty:
        raise InputError(
            f"bisect: the working tree has uncommitted changes ({dirty.splitlines()[0].strip()}…): commit or stash "
            "them first"
        )
    good = resolve_ref(root, good_ref, "--good")
    bad = resolve_ref(root, bad_ref, "--bad")
    if good == bad:
        raise InputError(f"bisect: --good {good_ref} and --bad {bad_ref} are the same commit: nothing to bisect")
    if _git(root, "merge-base", "--is-ancestor", good, bad).returncode != 0:
        raise InputError(f"bisect: --good {good_ref} is not an ancestor of --bad {bad_ref}: expected good before bad")
    return root, Commit(good, subject(root, good)), Commit(bad, subject(root, bad))


def merged_branch(root: Path, commit: Commit) -> list[Commit]:
    """The first-parent line of the branch a merge commit brought in (merge^1..merge^2); [] for any other commit."""
    parents = _git(root, "rev-list", "--parents", "-n", "1", commit.hash).stdout.split()[1:]
    return candidates(root, parents[0], parents[1]) if len(parents) == 2 else []


def steps_needed(candidate_count: int) -> int:
    """Measured commits of a bisection on counts: good, then one per halving of the candidates."""
    return 1 + math.ceil(math.log2(candidate_count)) if candidate_count > 1 else 2


# --- measuring a commit --------------------------------------------------------------------------------------------


@contextmanager
def _trees(root: Path, commits: list[Commit]) -> Iterator[list[Path]]:
    """Worktrees of several commits, made one after the other (git locks its worktree list), all removed after."""
    with ExitStack() as stack:
        yield [stack.enter_context(worktree(root, commit.hash)) for commit in commits]


class CountProbe:
    """Counts of the chosen metrics per commit, kept (with their profiles) for the answer's attribution."""

    def __init__(
        self,
        root: Path,
        valgrind: Valgrind,
        knobs: PerfKnobs,
        keys: list[str],
        threshold_pct: float,
        workdir: Path,
        say: Callable[[str], None],
    ) -> None:
        self.root, self.valgrind, self.knobs, self.keys = root, valgrind, knobs, keys
        self.threshold_pct, self.workdir, self.say = threshold_pct, workdir, say
        self.wall_names = sorted({wall_name(key) for key in keys})
        self.samples: dict[str, dict[str, CountedSample]] = {}
        self.failures: dict[str, str] = {}

    @property
    def measured(self) -> int:
        return len(self.samples) + len(self.failures)

    def measure(self, commits: list[Commit]) -> None:
        """Count the commits not yet counted, all at once (a count does not depend on the machine's load)."""
        todo = [c for c in commits if c.hash not in self.samples and c.hash not in self.failures]
        if not todo:
            return
        with _trees(self.root, todo) as trees:
            jobs = max(1, (os.cpu_count() or 1) // len(todo))
            with ThreadPoolExecutor(max_workers=len(todo)) as pool:
                futures = [pool.submit(self._count, tree, jobs) for tree in trees]
                for commit, future in zip(todo, futures, strict=True):
                    try:
                        self.samples[commit.hash] = future.result()
                    except (CountError, InputError) as exc:
                        text = exc.one_line() if isinstance(exc, InputError) else str(exc)
                        self.failures[commit.hash] = " ".join(text.split())[:300]

    def _count(self, tree: Path, jobs: int) -> dict[str, CountedSample]:
        tasks = [CountTask(0, name, tree) for name in self.wall_names]
        found = count_tasks(self.valgrind, self.knobs, "core", tasks, self.workdir, jobs)
        return {sample.metric: sample for sample in found}

    def value(self, commit: str, key: str) -> float:
        sample = self.samples[commit][wall_name(key)]
        return float(sample.instructions if key.endswith("_instructions") else sample.est_cycles)

    def judge(self, good: Commit, commit: Commit, position: int) -> Step:
        self.measure([good, commit])
        if good.hash in self.failures:
            raise InputError(f"bisect: --good {good.hash[:12]} cannot be counted: {self.failures[good.hash]}")
        if commit.hash in self.failures:
            return Step(commit, position, Verdict.SKIPPED, note=self.failures[commit.hash])
        ratios = {key: self.value(commit.hash, key) / self.value(good.hash, key) for key in self.keys}
        floor = max(self.threshold_pct, COUNT_NOISE_FLOOR_PCT)
        moved = any(abs(100.0 * (r - 1.0)) > floor for r in ratios.values())
        return Step(commit, position, Verdict.BAD if moved else Verdict.GOOD, ratios)

    def functions(self, parent: Commit, culprit: Commit, profiles: Path | None) -> dict[str, list[FunctionChange]]:
        """Per metric, the C functions whose instructions per call moved most from parent to culprit."""
        found = {}
        for name in self.wall_names:
            before, after = self.samples[parent.hash][name], self.samples[culprit.hash][name]
            found[f"core.{counted_names(name)[0]}"] = attribute(before, after)
            if profiles is not None:
                stem = name.removesuffix("_ms")
                compress(before.profile, profiles / f"parent.core.{stem}.callgrind.gz")
                compress(after.profile, profiles / f"first-bad.core.{stem}.callgrind.gz")
        return found


class WallProbe:
    """Paired interleaved runs of a candidate against good at every step; more runs while inconclusive."""

    def __init__(
        self,
        root: Path,
        knobs: PerfKnobs,
        keys: list[str],
        threshold_pct: float,
        runs: int,
        max_runs: int,
        say: Callable[[str], None],
    ) -> None:
        from hologram_lib.perf.collect import Progress

        self.root, self.knobs, self.keys, self.threshold_pct = root, knobs, keys, threshold_pct
        self.runs, self.max_runs, self.say = runs, max_runs, say
        self.progress = Progress()
        self.measured = 0
        self.good_tree: Path | None = None

    def judge(self, good: Commit, commit: Commit, position: int) -> Step:
        if self.measured == 0:
            self.measured = 1  # good itself
        self.measured += 1
        assert self.good_tree is not None, "WallProbe.judge outside WallProbe.good_worktree"
        with worktree(self.root, commit.hash) as tree:
            sides = (Side(f"good {good.hash[:12]}", self.good_tree), Side(f"candidate {commit.hash[:12]}", tree))
            collected: tuple[dict[str, list[np.ndarray]], dict[str, list[np.ndarray]]] = ({}, {})
            runs, total = self.runs, 0
            while True:
                try:
                    more = interleaved_runs(sides, "core", runs, self.knobs.samples, self.progress)
                except InputError as exc:
                    if exc.one_line().startswith(sides[0].label):
                        raise InputError(f"bisect: --good cannot be measured: {exc.one_line()}") from None
                    return Step(commit, position, Verdict.SKIPPED, note=exc.one_line())
                for index in (0, 1):
                    for name, values in more[index].items():
                        collected[index].setdefault(name, []).extend(values)
                total += runs
                verdicts = paired_verdicts("core", collected[0], collected[1], self.threshold_pct)
                chosen = {key: verdicts[key] for key in self.keys if key in verdicts}
                missing = [key for key in self.keys if key not in verdicts]
                if missing:
                    raise InputError(f"bisect: --metric {missing[0]}: the core suite does not record it")
                ratios = {key: r.ratio for key, r in chosen.items()}
                statuses = {r.status for r in chosen.values()}
                if statuses & {Drift.REGRESSED, Drift.IMPROVED}:
                    return Step(commit, position, Verdict.BAD, ratios, f"{total} paired runs per side")
                if statuses == {Drift.UNCHANGED}:
                    return Step(commit, position, Verdict.GOOD, ratios, f"{total} paired runs per side")
                if total >= self.max_runs:
                    note = f"still inconclusive after {total} paired runs per side (--max-runs {self.max_runs})"
                    return Step(commit, position, Verdict.INCONCLUSIVE, ratios, note)
                runs = min(total, self.max_runs - total)  # double the evidence, within the cap
                self.say(f"bisect: {commit.label()}: inconclusive after {total} runs per side; {runs} more runs")

    @contextmanager
    def good_worktree(self, good: Commit) -> Iterator[None]:
        with worktree(self.root, good.hash) as tree:
            self.good_tree = tree
            try:
                yield
            finally:
                self.good_tree = None


# --- the search ----------------------------------------------------------------------------------------------------


def wall_name(key: str) -> str:
    """core.encode_1MB_instructions / core.encode_1MB_ms → encode_1MB_ms (the worker's metric name)."""
    name = key.removeprefix("core.")
    for suffix in ("_instructions", "_est_cycles", "_ms"):
        if name.endswith(suffix):
            return name.removesuffix(suffix) + "_ms"
    return name


def bisected_key(history_metric: str, counted: bool) -> str:
    """The metric a change point's bisection measures: on counts, a wall-clock metric's instruction count."""
    if counted and history_metric.endswith("_ms"):
        return f"core.{wall_name(history_metric).removesuffix('_ms')}_instructions"
    return history_metric


def metric_keys(requested: list[str], knobs: PerfKnobs, counted: bool) -> list[str]:
    """The metrics bisected (default: every core metric, as counts or as wall clock); an unknown one is exit 2."""
    walls = metric_names("core", knobs)
    known = [f"core.{k}" for w in walls for k in counted_names(w)] if counted else [f"core.{w}" for w in walls]
    if not requested:
        return [key for key in known if not counted or key.endswith("_instructions")]
    for key in requested:
        if key not in known:
            raise InputError(f"--metric {key}: expected one of {', '.join(known)}")
    return list(dict.fromkeys(requested))


@dataclass
class Outcome:
    """The answer: a first bad commit, no change in the range, or undecided (and why)."""

    status: Answer
    message: str
    first_bad: Step | None = None
    parent: Step | None = None
    suspects: list[Commit] = field(default_factory=list)  # undecided: the commits the change hides among
    functions: dict[str, list[FunctionChange]] = field(default_factory=dict)


def midpoint(lo: int, hi: int, open_positions: list[int]) -> int:
    """The position between lo and hi that the search measures next: nearest the middle, the older one on a tie."""
    middle = (lo + hi) / 2
    return min(open_positions, key=lambda i: (abs(i - middle), i))


def search(
    good: Commit, commits: list[Commit], judge: Callable[[Commit, Commit, int], Step], say: Callable[[str], None]
) -> tuple[Outcome, list[Step]]:
    """Binary search over `commits` (oldest first; the last is bad, assumed to have moved until measured) for the
    first one judged bad. Skipped commits are stepped around; an inconclusive one stops the search."""
    steps: list[Step] = []
    lo, hi = -1, len(commits) - 1  # lo: last known good (-1 = good itself); hi: first known (or assumed) bad
    skipped: set[int] = set()
    hi_measured = False

    def measure(position: int) -> Step:
        step = judge(good, commits[position], position)
        steps.append(step)
        say(step.line())
        return step

    while True:
        between = [i for i in range(lo + 1, hi) if i not in skipped]
        if not between:
            if hi_measured:
                break
            step = measure(hi)
            if step.verdict == Verdict.GOOD:
                return Outcome(Answer.NO_CHANGE, _no_change(good, commits[hi], steps)), steps
            if step.verdict == Verdict.INCONCLUSIVE:
                return _undecided(step), steps
            if step.verdict == Verdict.SKIPPED:
                suspects = [commits[i] for i in range(lo + 1, hi + 1)]
                return Outcome(Answer.UNDECIDED, _hidden(suspects), suspects=suspects), steps
            hi_measured = True
            continue
        position = midpoint(lo, hi, between)
        step = measure(position)
        if step.verdict == Verdict.GOOD:
            lo = position
        elif step.verdict == Verdict.BAD:
            hi, hi_measured = position, True
        elif step.verdict == Verdict.SKIPPED:
            skipped.add(position)
        else:
            return _undecided(step), steps
    suspects = [commits[i] for i in range(lo + 1, hi + 1)]
    if len(suspects) > 1:  # skipped commits lie between the last good and the first bad
        return Outcome(Answer.UNDECIDED, _hidden(suspects), suspects=suspects), steps
    first_bad = next(s for s in steps if s.position == hi)
    parent = next((s for s in steps if s.position == lo), None)
    return Outcome(Answer.FOUND, f"first bad commit: {first_bad.commit.label()}", first_bad, parent), steps


def search_descending(
    root: Path,
    good: Commit,
    commits: list[Commit],
    judge: Callable[[Commit, Commit, int], Step],
    say: Callable[[str], None],
    *,
    descend: bool,
) -> tuple[Outcome, list[Step]]:
    """`search` along the first-parent line; with `descend`, while the first bad commit is a merge, search the branch
    it merged too (against the same good). A branch on which nothing moved leaves the merge as the answer."""
    outcome, steps = search(good, commits, judge, say)
    while descend and outcome.status == Answer.FOUND and outcome.first_bad is not None:
        merge = outcome.first_bad.commit
        branch = merged_branch(root, merge)
        if not branch:
            break
        say(f"bisect: {merge.label()} is a merge: descending into the {len(branch)} commits of the branch it merged")
        inner, more = search(good, branch, judge, say)
        steps += more
        if inner.status == Answer.FOUND:
            outcome = inner
            continue
        note = "nothing on its branch moved alone" if inner.status == Answer.NO_CHANGE else inner.message
        outcome.message += f" (a merge; {note})"
        break
    return outcome, steps


def _no_change(good: Commit, bad: Commit, steps: list[Step]) -> str:
    return (
        f"no change: {bad.hash[:12]} does not differ from good {good.hash[:12]} beyond the threshold "
        f"({len(steps)} commits judged); nothing to bisect"
    )


def _undecided(step: Step) -> Outcome:
    return Outcome(
        Answer.UNDECIDED, f"undecided at {step.commit.label()}: {step.note}; not guessing", suspects=[step.commit]
    )


def _hidden(suspects: list[Commit]) -> str:
    names = ", ".join(c.hash[:12] for c in suspects)
    return f"undecided: the first bad commit is one of {names} (skipped commits could not be measured)"


# --- the command ---------------------------------------------------------------------------------------------------


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
