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

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hologram_lib.config import perf_knobs  # noqa: E402
from hologram_lib.drift import RunLogs, judge_counts  # noqa: E402
from hologram_lib.perf.counted import CountTask, count_suite, count_tasks, find_valgrind  # noqa: E402
from hologram_lib.status import Drift  # noqa: E402

ENCODE_RETURN = "    return AtlasState(len(payload), grids)\n"
VARIANTS = {
    "base": ENCODE_RETURN,
    "base-at-a-much-longer-checkout-path-to-move-the-stack-and-the-heap-around": ENCODE_RETURN,
    "comment": ENCODE_RETURN.replace("    return", "    # a comment-only change\n    return"),
    "plus3": ENCODE_RETURN.replace("    return", "    for _ in range(840):  # extra work\n        pass\n    return"),
}
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


def spread_and_verdicts(processes: int, tries: int) -> dict[str, object]:
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
    walls, cpus = [c[0] for c in costs], [c[1] for c in costs]
    print(f"| counted core suite, one side (2 metrics × 2 processes) | ≤ 30 s | wall {np.median(walls):.1f} s "
          f"(min {min(walls):.1f}, max {max(walls):.1f}); CPU {np.median(cpus):.1f} s |")  # fmt: skip
    found = spread_and_verdicts(args.processes, args.tries)
    print(f"| encode 1 MiB instructions per call | — | {found['median_base']:,.0f} |")
    for name, spread in found["spread_pct"].items():  # type: ignore[attr-defined]
        shift = found["shift_pct"][name]  # type: ignore[index]
        print(f"| {name[:40]}: spread between {args.processes} processes / shift vs base | — | "
              f"{spread:.4f} % / {shift:+.4f} % |")  # fmt: skip
    print(f"| A/A false alarms at --threshold-pct 2 | 0 of 100 | {found['false_alarms']} of {found['tries']} |")
    print(f"| +3 % encode caught at --threshold-pct 2 | 100 of 100 | {found['caught_plus3']} of {found['tries']} |")
    print(f"| hologram ab --measure instructions (+3 % head, wall part 10 runs) | ≤ 90 s | {ab_cost():.1f} s |")


if __name__ == "__main__":
    main()
