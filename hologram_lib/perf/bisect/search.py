"""The search: a binary search over the candidates for the first commit judged bad, stepping around skipped
commits and stopping — never guessing — at an inconclusive one; with `descend`, on into the branch a first bad merge
brought in. What judges a commit is handed in (bisect.probes)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from hologram_lib.perf.bisect.commits import Commit, merged_branch
from hologram_lib.perf.callgrind import FunctionChange


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


def steps_needed(candidate_count: int) -> int:
    """Measured commits of a bisection on counts: good, then one per halving of the candidates."""
    return 1 + math.ceil(math.log2(candidate_count)) if candidate_count > 1 else 2


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
