"""`make bench`: what counts can see on this runner, measured.

Run from the project root: `.venv/bin/python tests/bench/bench_counted.py [--processes N] [--tries 100]`.

1. Cost: one counted core suite (both metrics, COUNTED_RUNS processes each), in seconds of wall and CPU time; and
   `hologram ab --measure instructions` base vs head end to end in a scratch git repository (its wall-clock part
   included, at the default 10 runs).
2. Spread: encode of 1 MiB counted in N separate processes each of the same code at the checkout path, of the same
   code at a longer path, and of a comment-only edit; and of a +3 % edit (a loop at the end of encode).
3. Verdicts: `tries` A/A comparisons (2 processes a side, drawn without overlap from the no-op variants vs the base)
   and `tries` base vs +3 % comparisons, each judged by drift.judge_counts at --threshold-pct 2: the false alarms and
   the catches. Pairs are drawn from the N processes a variant (each count is its own process; the draws reuse them).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hologram_lib.config import perf_knobs  # noqa: E402
from hologram_lib.drift import RunLogs, judge_counts  # noqa: E402
from hologram_lib.outcomes import Drift  # noqa: E402
from hologram_lib.perf.counted import CountTask, count_suite, count_tasks, find_valgrind  # noqa: E402
from tests.bench.results import Figure  # noqa: E402
from tests.bench.table import print_table  # noqa: E402

ENCODE_RETURN = "    return AtlasState(len(payload), grids)\n"
VARIANTS = {
    "base": ENCODE_RETURN,
    "base-at-a-much-longer-checkout-path-to-move-the-stack-and-the-heap-around": ENCODE_RETURN,
    "comment": ENCODE_RETURN.replace("    return", "    # a comment-only change\n    return"),
    "plus3": ENCODE_RETURN.replace("    return", "    for _ in range(840):  # extra work\n        pass\n    return"),
}
SPREAD_LABELS = (("base", "the same code"), ("longer_path", "the same code at a longer path"),
                 ("comment", "a comment-only edit"), ("plus3", "the +3 % edit"))  # fmt: skip
NO_OPS = ("base-at-a-much-longer-checkout-path-to-move-the-stack-and-the-heap-around", "comment")


def _cpu_children_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def suite_cost(repeats: int) -> list[tuple[float, float]]:
    valgrind = find_valgrind()
    assert not isinstance(valgrind, str), valgrind
    costs = []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), _cpu_children_s()
        count_suite(valgrind, perf_knobs(1), "core", ["encode_1MB_ms", "verify_ms"])
        costs.append((time.perf_counter() - wall, _cpu_children_s() - cpu))
    return costs


def _trees(scratch: Path) -> dict[str, Path]:
    original = (ROOT / "hologram_lib" / "atlas.py").read_text()
    trees = {}
    for name, replacement in VARIANTS.items():
        tree = scratch / name
        shutil.copytree(ROOT / "hologram_lib", tree / "hologram_lib", ignore=shutil.ignore_patterns("__pycache__"))
        (tree / "hologram_lib" / "atlas.py").write_text(original.replace(ENCODE_RETURN, replacement))
        trees[name] = tree
    return trees


def spread_and_verdicts(processes: int, tries: int) -> dict[str, Any]:
    valgrind = find_valgrind()
    assert not isinstance(valgrind, str), valgrind
    with tempfile.TemporaryDirectory(prefix="bench-counted-") as scratch:
        trees = _trees(Path(scratch))
        tasks = [CountTask(0, "encode_1MB_ms", trees[name]) for name in VARIANTS for _ in range(processes)]
        samples = count_tasks(valgrind, perf_knobs(1), "core", tasks, Path(scratch))
        counts: dict[str, list[float]] = {}
        for task, sample in zip(tasks, samples, strict=True):
            counts.setdefault(task.tree.name if task.tree else "?", []).append(sample.instructions)
            sample.profile.unlink(missing_ok=True)
    base = np.array(counts["base"])
    rng = np.random.default_rng(0)

    def logs(values: np.ndarray) -> RunLogs:
        return RunLogs.of([np.array([v]) for v in values])

    def draw(values: np.ndarray) -> np.ndarray:
        return rng.choice(values, size=2, replace=False)

    false_alarms = 0
    for i in range(tries):
        other = np.array(counts[NO_OPS[i % len(NO_OPS)]]) if i % 3 else base
        if other is base:  # base vs base: four distinct processes
            picked = rng.choice(base, size=4, replace=False)
            first, second = picked[:2], picked[2:]
        else:
            first, second = draw(base), draw(other)
        false_alarms += judge_counts(logs(first), logs(second), 2.0).status != Drift.UNCHANGED
    caught = sum(
        judge_counts(logs(draw(base)), logs(draw(np.array(counts["plus3"]))), 2.0).status == Drift.REGRESSED
        for _ in range(tries)
    )
    median = float(np.median(base))
    return {
        "median_base": median,
        "spread_pct": {name: 100 * (max(v) - min(v)) / min(v) for name, v in counts.items()},
        "shift_pct": {name: 100 * (float(np.median(v)) / median - 1) for name, v in counts.items()},
        "false_alarms": false_alarms,
        "caught_plus3": caught,
        "tries": tries,
    }


def ab_cost() -> float:
    """`hologram ab --measure instructions --threshold-pct 2` of a +3 % head against its base, end to end."""
    with tempfile.TemporaryDirectory(prefix="bench-ab-") as scratch:
        repo = Path(scratch) / "repo"
        shutil.copytree(ROOT / "hologram_lib", repo / "hologram_lib", ignore=shutil.ignore_patterns("__pycache__"))

        def git(*args: str) -> None:
            command = ["git", "-C", str(repo), "-c", "user.name=b", "-c", "user.email=b@b", *args]
            subprocess.run(command, check=True, capture_output=True)

        git("init", "-q", "-b", "main")
        git("add", "-A")
        git("commit", "-qm", "base")
        atlas = repo / "hologram_lib" / "atlas.py"
        atlas.write_text(atlas.read_text().replace(ENCODE_RETURN, VARIANTS["plus3"]))
        git("commit", "-qam", "plus3")
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "hologram_lib.cli", "ab", "--base", "HEAD~1", "--head", "HEAD", "--measure",
             "instructions", "--threshold-pct", "2", "--perf-dir", str(repo / "perf")],
            cwd=repo, capture_output=True, text=True, check=False,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        assert done.returncode == 1, done.stdout + done.stderr  # +3 % is a regression
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=8, help="counted processes per variant")
    parser.add_argument("--tries", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    costs = suite_cost(args.repeats)
    found = spread_and_verdicts(args.processes, args.tries)
    tries = found["tries"]
    figures = [
        Figure("suite_wall", "counted core suite, one side (2 metrics × 2 processes): wall", "≤ 30 s",
               [c[0] for c in costs], "s"),
        Figure("suite_cpu", "the same: CPU time of its valgrind processes", "—", [c[1] for c in costs], "s"),
        Figure("encode_instructions", "encode 1 MiB instructions per call (median of the base processes)", "—",
               [found["median_base"]], ""),
        *(
            Figure(f"spread_{short}", f"{label}: spread between {args.processes} processes", "—",
                   [found["spread_pct"][variant]], "%")
            for variant, (short, label) in zip(VARIANTS, SPREAD_LABELS, strict=True)
        ),
        Figure("shift_plus3", "+3 % edit: shift of its median against the base", "—", [found["shift_pct"]["plus3"]],
               "%"),
        Figure("false_alarms", f"A/A false alarms at --threshold-pct 2, of {tries}", "0", [found["false_alarms"]], ""),
        Figure("caught_plus3", f"+3 % encode caught at --threshold-pct 2, of {tries}", f"{tries}",
               [found["caught_plus3"]], ""),
        Figure("ab_wall", "hologram ab --measure instructions (+3 % head, wall part 10 runs)", "≤ 90 s", [ab_cost()],
               "s"),
    ]  # fmt: skip
    print_table(__file__, figures, args.repeats)


if __name__ == "__main__":
    main()
