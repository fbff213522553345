"""Judging one commit against good: by counts (one counted process per metric and commit, kept with its profile for
the answer's attribution) or by the wall clock (paired interleaved runs, more while inconclusive). Each measured
commit is checked out in a temporary worktree, removed whatever happens."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np

from hologram_lib.config import PerfKnobs
from hologram_lib.drift import COUNT_NOISE_FLOOR_PCT, paired_verdicts
from hologram_lib.errors import CountError, InputError
from hologram_lib.outcomes import Drift
from hologram_lib.perf.bisect.commits import Commit
from hologram_lib.perf.bisect.metrics import wall_name
from hologram_lib.perf.bisect.search import Step, Verdict
from hologram_lib.perf.callgrind import FunctionChange, compress
from hologram_lib.perf.counted import CountedSample, CountTask, Valgrind, count_tasks, counted_names
from hologram_lib.perf.counted_ab import attribute
from hologram_lib.perf.interleaved import Side, interleaved_runs
from hologram_lib.perf.worktrees import worktree


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
