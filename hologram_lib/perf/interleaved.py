"""Two sides measured in one job, run against run: runs alternate A B, B A, A B, … so that run i of both sides sees
the same minute of the machine (and a linear drift cancels within each pair); the drift test is then paired.
Used by `hologram ab`, `hologram calibrate` (A/A) and `hologram bisect`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hologram_lib import stats
from hologram_lib.errors import InputError
from hologram_lib.perf.collect import Progress, RunRequest, RunResult, run_process


@dataclass(frozen=True)
class Side:
    label: str
    tree: Path | None


def interleaved_runs(
    sides: tuple[Side, Side],
    suite: str,
    runs: int,
    samples: int,
    progress: Progress,
    env: Mapping[str, str] | None = None,
) -> tuple[dict[str, list[np.ndarray]], dict[str, list[np.ndarray]]]:
    """`runs` runs per side, alternating A B / B A; metric name → runs (sorted) for each side. A failed run is an
    InputError naming the side (a tree that does not build, a target that raises)."""
    collected: tuple[dict[str, list[np.ndarray]], dict[str, list[np.ndarray]]] = ({}, {})
    for number in range(runs):
        order = (0, 1) if number % 2 == 0 else (1, 0)
        for index in order:
            side = sides[index]
            progress.update(f"{suite} {side.label}", number + 1, runs)
            try:
                result: RunResult = run_process(RunRequest(suite, samples, tree=side.tree), env)
            except InputError as exc:
                raise InputError(f"{side.label}: {exc.one_line()}") from None
            if result.error is not None:
                raise InputError(f"{side.label}: a {suite} run failed: {result.error}")
            for name, values in result.metrics.items():
                collected[index].setdefault(name, []).append(stats.as_sorted(values))
    progress.line(f"{suite}: {runs} runs per side, interleaved")
    return collected
