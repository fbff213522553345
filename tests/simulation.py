"""Seeded simulations of the verdicts' error rates on lognormal latencies (used by tests and the README).

Run `python -m tests.simulation` to print the figures the README quotes.
"""

from __future__ import annotations

import numpy as np

from hologram_lib.baseline import compare_runs, compare_samples
from hologram_lib.budgets import check_budget
from hologram_lib.stats import runs_to_detect

Z95 = 1.6448536269514722


def _draw(rng: np.random.Generator, sigma: float, n: int) -> np.ndarray:
    return np.exp(sigma * rng.standard_normal(n))


def slow_tail(samples: np.ndarray, factor: float) -> np.ndarray:
    """Slow down only the slowest 10 % of a sample (a tail-only regression)."""
    out = samples.copy()
    cut = np.quantile(out, 0.9)
    out[out > cut] *= factor
    return out


def regressed_rate(sigma: float, n: int, trials: int, change: str = "none", seed: int = 0) -> float:
    """Share of trials where compare_samples says `regressed`. change: none | shift20 | tail20."""
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(trials):
        base, cur = _draw(rng, sigma, n), _draw(rng, sigma, n)
        if change == "shift20":
            cur = cur * 1.2
        elif change == "tail20":
            cur = slow_tail(cur, 1.2)
        hits += compare_samples(base, cur, 10.0).status == "regressed"
    return hits / trials


def budget_fail_rate(sigma: float, n: int, trials: int, seed: int = 0) -> float:
    """Share of trials where check_budget says `fail` although the true p95 is 0.9 x the budget."""
    rng = np.random.default_rng(seed)
    budget = np.exp(sigma * Z95) / 0.9
    return sum(check_budget(_draw(rng, sigma, n), budget).status == "fail" for _ in range(trials)) / trials


def main() -> None:
    print("\n".join(runs_table()))
    print()
    print("| scenario | sigma | n | rate (1,000 trials) |")
    print("|---|---|---|---|")
    for sigma in (0.1, 0.3):
        for n in (72, 200):
            print(f"| A/A compare → regressed | {sigma} | {n} | {regressed_rate(sigma, n, 1000):.1%} |")
            fail_rate = budget_fail_rate(sigma, n, 1000)
            print(f"| check_budget fail at true p95 = 0.9 × budget | {sigma} | {n} | {fail_rate:.1%} |")
    print(f"| +20 % shift → regressed | 0.1 | 200 | {regressed_rate(0.1, 200, 1000, 'shift20'):.1%} |")
    print(f"| +20 % slowest 10 % only → regressed | 0.1 | 200 | {regressed_rate(0.1, 200, 1000, 'tail20'):.1%} |")
    print(f"| +20 % shift → regressed | 0.3 | 200 | {regressed_rate(0.3, 200, 1000, 'shift20'):.1%} |")


def draw_runs(
    rng: np.random.Generator, runs: int, n: int, sigma_within: float, sigma_between: float, ar: float
) -> list[np.ndarray]:
    """Runs as a real machine makes them: each process has its own level (log-sd sigma_between) and its samples
    are autocorrelated (AR(1) with coefficient `ar`, marginal log-sd sigma_within)."""
    from scipy.signal import lfilter

    innovation = sigma_within * np.sqrt(1.0 - ar * ar)
    noise = rng.standard_normal((runs, n)) * innovation
    noise[:, 0] = sigma_within * rng.standard_normal(runs)  # start in the stationary distribution
    series = lfilter([1.0], [1.0, -ar], noise, axis=1)
    levels = sigma_between * rng.standard_normal((runs, 1))
    return list(np.exp(levels + series))


def runs_regressed_rate(
    sigma_between: float, ar: float, trials: int, *, factor: float = 1.0, runs: int = 10, n: int = 200, seed: int = 0
) -> float:
    """Share of trials where compare_runs (unpaired, 10 % threshold) says `regressed`; factor 1.2 = +20 % whole."""
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(trials):
        base = draw_runs(rng, runs, n, 0.1, sigma_between, ar)
        cur = [run * factor for run in draw_runs(rng, runs, n, 0.1, sigma_between, ar)]
        hits += compare_runs(base, cur, 10.0).status == "regressed"
    return hits / trials


def runs_table(trials: int = 1000) -> list[str]:
    out = ["| σ between runs | AR(1) | runs per side | A/A `regressed` | +20 % `regressed` |", "|---|---|---|---|---|"]
    for sigma_between in (0.1, 0.3, 0.6):
        for ar in (0.2, 0.5):
            for runs in sorted({10, runs_to_detect(sigma_between, 0.2, power=0.9)}):
                aa = runs_regressed_rate(sigma_between, ar, trials, runs=runs, n=100)
                hit = runs_regressed_rate(sigma_between, ar, trials, factor=1.2, runs=runs, n=100, seed=1)
                out.append(f"| {sigma_between} | {ar} | {runs} | {aa:.1%} | {hit:.1%} |")
    return out


if __name__ == "__main__":
    main()
