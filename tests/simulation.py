"""Seeded simulations of the verdicts' error rates on lognormal latencies (used by tests and the README).

Run `python -m tests.simulation` to print the figures the README quotes.
"""

from __future__ import annotations

import numpy as np

from hologram_lib.baseline import compare_samples
from hologram_lib.gate import check_budget

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


if __name__ == "__main__":
    main()
