"""Statistics for latency gates: quantiles, their confidence intervals, p95 ratios, many-metric control.

Why these methods (see the project notes on statistics):
- p95 confidence intervals use order statistics, which hold for any distribution; a distribution-free
  95 % interval of p95 needs at least 72 samples, below that its upper end is unbounded.
- A p95 ratio is tested on the p95 itself (rank tests miss tail-only regressions) with a bootstrap. The
  bootstrap of a sample quantile is drawn exactly from Beta-distributed uniform order statistics, so one
  replicate costs O(1) instead of O(n), and the generator is seeded from the data (same files, same verdict).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

import numpy as np

P95 = 0.95
BUDGET_CONFIDENCE = 0.95
DRIFT_ALPHA = 0.01
BOOTSTRAP_RESAMPLES = 5000
DETECTION_POWER = 0.8


def as_sorted(samples: object) -> np.ndarray:
    """Samples as a sorted float64 array (the one representation every function here works on)."""
    return np.sort(np.asarray(samples, dtype=np.float64).ravel())


def quantile(sorted_samples: np.ndarray, q: float = P95) -> float:
    """Sample quantile by linear interpolation between order statistics (Hyndman–Fan type 7)."""
    n = len(sorted_samples)
    if n == 0:
        return math.nan
    h = (n - 1) * q
    j = math.floor(h)
    if j >= n - 1:
        return float(sorted_samples[-1])
    g = h - j
    return float(sorted_samples[j] + g * (sorted_samples[j + 1] - sorted_samples[j]))


@lru_cache(maxsize=4096)
def _binomial_cdf(n: int, q: float) -> np.ndarray:
    """P(K <= k) for K ~ Binomial(n, q), k = 0..n, computed in log space (stable for n in the millions)."""
    k = np.arange(n, dtype=np.float64)
    log_steps = np.log((n - k) / (k + 1.0)) + math.log(q / (1.0 - q))
    log_pmf = np.concatenate(([n * math.log1p(-q)], n * math.log1p(-q) + np.cumsum(log_steps)))
    pmf = np.exp(log_pmf - log_pmf.max())
    cdf = np.cumsum(pmf)
    return cdf / cdf[-1]


@lru_cache(maxsize=4096)
def quantile_ci_ranks(n: int, q: float = P95, confidence: float = BUDGET_CONFIDENCE) -> tuple[int | None, int | None]:
    """0-based indices (low, high) of the order statistics bounding the q-quantile; None = unbounded side.

    K, the number of samples below the true quantile, is Binomial(n, q); [x(l), x(u)] (1-based) covers the
    quantile with probability F(u-1) - F(l-1), split equally between both tails.
    """
    if n <= 0:
        return None, None
    tail = (1.0 - confidence) / 2.0
    cdf = _binomial_cdf(n, q)
    # l = largest rank with F(l-1) <= tail; u = smallest rank with F(u-1) >= 1 - tail.
    low_rank = int(np.searchsorted(cdf, tail, side="right"))
    high_rank = int(np.searchsorted(cdf, 1.0 - tail, side="left")) + 1
    low = low_rank - 1 if low_rank >= 1 else None
    high = high_rank - 1 if high_rank <= n else None
    return low, high


def quantile_ci(
    sorted_samples: np.ndarray, q: float = P95, confidence: float = BUDGET_CONFIDENCE
) -> tuple[float, float]:
    """Distribution-free confidence interval of the q-quantile; an unbounded side is 0.0 or +inf."""
    low, high = quantile_ci_ranks(len(sorted_samples), q, confidence)
    return (
        0.0 if low is None else float(sorted_samples[low]),
        math.inf if high is None else float(sorted_samples[high]),
    )


@lru_cache(maxsize=64)
def min_samples_for_ci(q: float = P95, confidence: float = BUDGET_CONFIDENCE) -> int:
    """Smallest n whose interval of the q-quantile is bounded on both sides (72 for p95 at 95 %)."""
    n = 1
    while quantile_ci_ranks(n, q, confidence)[1] is None:
        n += 1
    return n


def samples_to_settle(n: int, estimate: float, ci_low: float, ci_high: float, budget: float) -> int:
    """Samples that would shrink the interval enough to clear `budget`, if the estimate stays where it is.

    The relative half-width of a quantile interval shrinks like 1/sqrt(n).
    """
    floor = min_samples_for_ci()
    if estimate <= 0 or budget <= 0 or not math.isfinite(ci_high) or ci_low <= 0:
        return max(floor, 2 * max(n, 1))
    half_width = max(math.log(ci_high / estimate), math.log(estimate / ci_low))
    margin = abs(math.log(budget / estimate))
    if margin == 0:
        return max(floor, 100 * n)
    return max(floor, n + 1, math.ceil(n * (half_width / margin) ** 2))


@dataclass(frozen=True)
class RatioEstimate:
    """current p95 / baseline p95 with its bootstrap interval and a one-sided p-value in the direction of
    the observed change (ratio > 1: evidence of a slow-down; ratio < 1: of a speed-up)."""

    ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    se_log: float


def _seed_from(*arrays: np.ndarray) -> int:
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
        digest.update(b"|")
    return int.from_bytes(digest.digest()[:8], "little")


def bootstrap_quantiles(sorted_samples: np.ndarray, q: float, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap replicates of the type-7 sample quantile, drawn exactly without resampling the data.

    The r-th order statistic of a resample is F_n^-1(U_(r)) with U_(r) ~ Beta(r, n - r + 1), and
    U_(r+1) = U_(r) + (1 - U_(r)) * Beta(1, n - r).
    """
    n = len(sorted_samples)
    if n == 1:
        return np.full(resamples, sorted_samples[0])
    h = (n - 1) * q
    j = min(math.floor(h), n - 2)
    g = h - j
    rank = j + 1
    u_low = rng.beta(rank, n - rank + 1, size=resamples)
    u_high = u_low + (1.0 - u_low) * rng.beta(1, n - rank, size=resamples)

    def inverse_ecdf(u: np.ndarray) -> np.ndarray:
        return sorted_samples[np.clip(np.ceil(u * n).astype(np.int64) - 1, 0, n - 1)]

    return inverse_ecdf(u_low) + g * (inverse_ecdf(u_high) - inverse_ecdf(u_low))


def bootstrap_quantile_ratio(
    baseline_sorted: np.ndarray,
    current_sorted: np.ndarray,
    q: float = P95,
    confidence: float = 1.0 - 2.0 * DRIFT_ALPHA,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> RatioEstimate:
    """Bootstrap the ratio of q-quantiles (current / baseline); reproducible: seeded from the data.

    The p-value is one-sided because the verdict is directional ("regressed" needs evidence that the ratio
    is above 1, not merely different from 1); the default interval (98 %) excludes 1 exactly when that
    p-value is below DRIFT_ALPHA. A two-sided test would double the p-value of a tail-only regression,
    whose bootstrap distribution has a small lump at the unslowed order statistics (measured: detection
    of a +20 % slowest-10 % regression drops from 95 % to 10 % at n=200).
    """
    rng = np.random.default_rng(_seed_from(baseline_sorted, current_sorted))
    base = bootstrap_quantiles(baseline_sorted, q, resamples, rng)
    cur = bootstrap_quantiles(current_sorted, q, resamples, rng)
    log_ratios = np.log(cur) - np.log(base)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(log_ratios, [tail, 1.0 - tail])
    ratio = quantile(current_sorted, q) / quantile(baseline_sorted, q)
    against = log_ratios <= 0.0 if ratio > 1.0 else log_ratios >= 0.0
    return RatioEstimate(
        ratio=ratio,
        ci_low=float(math.exp(low)),
        ci_high=float(math.exp(high)),
        p_value=(np.count_nonzero(against) + 1) / (resamples + 1),
        se_log=float(np.std(log_ratios)),
    )


def benjamini_hochberg(p_values: list[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (step-up, monotone, capped at 1), in the input order."""
    m = len(p_values)
    if m == 0:
        return []
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 1.0
    for position in range(m - 1, -1, -1):
        index = order[position]
        running = min(running, p_values[index] * m / (position + 1))
        adjusted[index] = running
    return adjusted


def minimum_detectable_effect(se_log: float, alpha: float = DRIFT_ALPHA, power: float = DETECTION_POWER) -> float:
    """Smallest relative change of the p95 (0.12 = +12 %) detected with `power` by a one-sided test at `alpha`."""
    z = NormalDist().inv_cdf(1.0 - alpha) + NormalDist().inv_cdf(power)
    return math.exp(z * se_log) - 1.0
