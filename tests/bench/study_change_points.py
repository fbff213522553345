"""Which change-point library: the measurements behind hologram_lib.history.changes (README "Change points").

    python tests/bench/study_change_points.py [--trials N]

Runs each method that is importable in the current Python on the same seeded series: ten 3 % steps (10 runs per
step after 20 flat runs, log-noise 0.05 — the session noise of this machine kind), a single ×2 outlier in flat
noise, 1,000 noise-only series of 100 runs, and the real-noise data's per-run medians in run order (A alone:
nothing changed; A then M20: +25 % at run 16). Apache Otava and signal-processing-algorithms pin numpy / scipy
versions the project cannot share (numpy 2.2.0 exactly; numpy < 2 and gevent), so they were measured from their own
throwaway venvs with this same file (`pip install apache-otava ruptures` / `signal-processing-algorithms`; the
script needs only numpy besides the method).
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

Detector = Callable[[np.ndarray], list[int]]
NOISE = 0.05


def _ours() -> Detector:
    from hologram_lib.history.changes import change_points

    return lambda series: [c.index for c in change_points(series)]


def _otava() -> Detector:
    from otava.analysis import compute_change_points

    def detect(series: np.ndarray) -> list[int]:
        found, _weak = compute_change_points(list(np.log(series)), window_len=50, max_pvalue=0.001)
        return [int(c.index) for c in found]

    return detect


def _spa() -> Detector:
    from signal_processing_algorithms.energy_statistics.energy_statistics import e_divisive

    return lambda series: sorted(int(i) for i in e_divisive(np.log(series), pvalue=0.001, permutations=1000))


METHODS: dict[str, Callable[[], Detector]] = {
    "ruptures binary segmentation + Welch (ours)": _ours,
    "apache-otava 0.8 (E-divisive + t-test)": _otava,
    "signal-processing-algorithms 2.1 (E-divisive, permutations)": _spa,
}


def ramp(rng: np.random.Generator) -> np.ndarray:
    levels = np.concatenate([np.zeros(20), np.repeat(np.log(1.03) * np.arange(1, 11), 10)])
    return np.exp(levels + NOISE * rng.standard_normal(len(levels)))


def outlier(rng: np.random.Generator) -> np.ndarray:
    series = np.exp(NOISE * rng.standard_normal(100))
    series[rng.integers(10, 90)] *= 2.0
    return series


def noise(rng: np.random.Generator) -> np.ndarray:
    return np.exp(NOISE * rng.standard_normal(100))


def real_medians(condition: str) -> np.ndarray:
    text = gzip.decompress((ROOT / "tests" / "data" / "real_noise" / f"{condition}.csv.gz").read_bytes()).decode()
    by_run: dict[int, list[float]] = {}
    for line in text.strip().split("\n")[1:]:
        run, metric, value = line.split(",")
        if metric == "core.encode_1MB_ms":
            by_run.setdefault(int(run), []).append(float(value))
    return np.array([np.median(by_run[r]) for r in sorted(by_run)])


def share(detect: Detector, make: Callable[[np.random.Generator], np.ndarray], trials: int) -> float:
    rng = np.random.default_rng(12)
    return sum(bool(detect(make(rng))) for _ in range(trials)) / trials


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--method", default="", help="only the methods whose name contains this")
    args = parser.parse_args()
    trials = args.trials
    a, m20 = real_medians("A"), real_medians("M20")
    print("| method | ten 3 % steps flagged | single outlier flagged | noise-only series flagged | real A (30 runs) |"
          " real A→M20 (15+15) | 10 × 1,000 runs |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for name, build in METHODS.items():
        if args.method not in name:
            continue
        try:
            detect = build()
        except ImportError:
            continue
        steps = share(detect, ramp, max(trials // 5, 50))
        single = share(detect, outlier, max(trials // 5, 50))
        false = share(detect, noise, trials)
        shift = detect(np.concatenate([a[:15], m20[15:]]))
        long = np.exp(NOISE * np.random.default_rng(3).standard_normal(1000))
        start = time.perf_counter()
        for _ in range(10):
            detect(long)
        seconds = time.perf_counter() - start
        print(
            f"| {name} | {steps:.1%} | {single:.1%} | {false:.1%} | {detect(a) or 'none'} | {shift or 'none'} | "
            f"{seconds:.2f} s |"
        )


if __name__ == "__main__":
    main()
