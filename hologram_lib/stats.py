"""Statistics for latency gates: quantiles, their confidence intervals, p95 ratios, many-metric control.

Why these methods (see the project notes on statistics):
- p95 confidence intervals use order statistics, which hold for any distribution; a distribution-free
  95 % interval of p95 needs at least 72 samples, below that its upper end is unbounded.
- A p95 ratio is tested on the p95 itself (rank tests miss tail-only regressions) with a bootstrap. The
  bootstrap of a sample quantile is drawn exactly from Beta-distributed uniform order statistics, so one
  replicate costs O(1) instead of O(n), and the generator is seeded from the data (same files, same verdict).

Longer than ~400 lines for a reason: every verdict's estimators and their error rates live in one module, the one
that tests/test_stats.py and the real-noise studies hold to their stated rates.
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
    cdf: np.ndarray = np.cumsum(pmf)
    normalised: np.ndarray = cdf / cdf[-1]
    return normalised


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


def samples_to_settle(
    n: int, estimate: float, ci_low: float, ci_high: float, budget: float, floor: int | None = None
) -> int:
    """Samples (or runs) that would shrink the interval enough to clear `budget`, if the estimate stays put.

    The relative half-width of a quantile interval shrinks like 1/sqrt(n); `floor` defaults to the fewest samples
    with a bounded p95 interval.
    """
    floor = min_samples_for_ci() if floor is None else floor
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
        picked: np.ndarray = sorted_samples[np.clip(np.ceil(u * n).astype(np.int64) - 1, 0, n - 1)]
        return picked

    low, high = inverse_ecdf(u_low), inverse_ecdf(u_high)
    replicates: np.ndarray = low + g * (high - low)
    return replicates


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


# --- Runs: the process run is the unit of replication -----------------------------------------------------------
# Samples inside one process share its memory layout, caches and the machine's mood of that minute; on the
# project's real-noise data (540 runs) the p95 varied 13–79 × more between processes than one process's bootstrap
# assumes. So drift is tested on one statistic per run, and budget intervals resample whole runs.

# One-sided alphas of the run-level drift tests: centre (per-run median) and tail (per-run p95). Chosen on the
# real-noise data: Welch on the log medians flagged 1.2 % of A/A splits at 0.01 (runs are not quite independent:
# the machine's mood drifts), 0.65 % at 0.005 and 0.3 % at 0.0025, while still catching 98 % of +25 % slow-downs.
RUN_DRIFT_ALPHA = 0.0025
TAIL_DRIFT_ALPHA = 0.001
# Log-sd of a whole session's level (all runs of one `perf collect`) against another session's, for comparisons of
# separately collected runs (`baseline compare`). Measured on this machine kind: 24 back-to-back `perf collect
# --runs 10 --suite core` sessions; their mean log medians varied by 0.049 (encode) / 0.078 (verify) where their
# runs predicted 0.029 / 0.043, i.e. a session term of 0.039 / 0.065 (p95: 0.064 / 0.081). Without it, two
# separate collects of the same code were called `regressed` in 4 of 100 tries. `hologram calibrate` measures it
# per metric on a runner (never below these defaults).
DEFAULT_SESSION_SD = 0.05
DEFAULT_SESSION_SD_P95 = 0.08
MIN_RUNS = 3
ONE_RUN = "1 run: machine noise not measured"  # what a verdict on one process run says of itself
RUN_BOOTSTRAP_RESAMPLES = 2000
MAX_GRID = 4096


@dataclass(frozen=True)
class RunComparison:
    """exp(mean log statistic of current runs − of baseline runs): the ratio of geometric means, its two-sided
    interval at 1 − 2·alpha, a one-sided p-value in the direction of the change, and the standard error of the
    log ratio with its degrees of freedom (for the minimum detectable effect)."""

    ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    se_log: float
    df: float


def compare_run_logs(
    baseline_logs: np.ndarray,
    current_logs: np.ndarray,
    *,
    paired: bool,
    alpha: float = RUN_DRIFT_ALPHA,
    session_sd: float = 0.0,
) -> RunComparison:
    """Welch's t-test (or the paired t-test, when run i of both sides ran side by side) on log per-run statistics.

    Why a t-test on logs: a ratio of latencies is a difference of logs, and a per-run median is close to normal on
    the log scale; measured on the real-noise data, Welch at alpha 0.0025 with 10 runs per side flags 0.3 % of
    A/A splits and catches 98 % of +25 % slow-downs.

    `session_sd`: when the two sides were measured in separate sessions (a baseline from another job), the runs of
    one session share that session's level, which the spread between its runs cannot show; its log-sd enters the
    standard error as a known variance on each side (2·session_sd²). Paired runs share their session: no term.
    """

    base, cur = np.asarray(baseline_logs, dtype=np.float64), np.asarray(current_logs, dtype=np.float64)
    diff = float(cur.mean() - base.mean())
    if paired:
        deltas = cur - base
        se = float(deltas.std(ddof=1) / math.sqrt(len(deltas)))
        df = float(len(deltas) - 1)
    else:
        var_b, var_c = base.var(ddof=1) / len(base), cur.var(ddof=1) / len(cur)
        se = float(math.sqrt(var_b + var_c + 2.0 * session_sd**2))
        denominator = var_b**2 / (len(base) - 1) + var_c**2 / (len(cur) - 1)
        df = float((var_b + var_c) ** 2 / denominator) if denominator > 0 else float(len(base) + len(cur) - 2)
    return _t_comparison(diff, se, df, alpha)


def _t_comparison(diff: float, se: float, df: float, alpha: float) -> RunComparison:
    """A difference of mean logs with its standard error and degrees of freedom: ratio, one-sided t interval at
    `alpha` and p-value (a zero standard error: the difference is exact)."""
    from scipy import stats as scipy_stats

    if se == 0.0:
        p_value = 1.0 if diff == 0.0 else 0.0
        return RunComparison(_exp(diff), _exp(diff), _exp(diff), p_value, 0.0, df)
    t_crit = float(scipy_stats.t.ppf(1.0 - alpha, df))
    p_value = float(scipy_stats.t.sf(abs(diff) / se, df))
    return RunComparison(_exp(diff), _exp(diff - t_crit * se), _exp(diff + t_crit * se), p_value, se, df)


def predict_run_logs(
    baseline_logs: np.ndarray, current_logs: np.ndarray, *, alpha: float = RUN_DRIFT_ALPHA, session_sd: float = 0.0
) -> RunComparison:
    """Fewer current runs than a test needs (one run, say) against a baseline of MIN_RUNS or more: is the current
    mean log statistic outside the baseline's **prediction interval**? The baseline's runs measure the spread
    between runs, which a new run shares, so

        se = sqrt(s_b² · (1/n_b + 1/k) + 2 · session_sd²),   df = n_b − 1,

    with s_b the baseline's between-run sd of the log statistic, k the current runs and the session term as in
    compare_run_logs (the current run is another session). A one-sided t-test at `alpha`; its interval is the
    prediction interval of the ratio."""

    base, cur = np.asarray(baseline_logs, dtype=np.float64), np.asarray(current_logs, dtype=np.float64)
    diff = float(cur.mean() - base.mean())
    spread = float(base.std(ddof=1))
    se = math.sqrt(spread**2 * (1.0 / len(base) + 1.0 / len(cur)) + 2.0 * session_sd**2)
    df = float(len(base) - 1)
    return _t_comparison(diff, se, df, alpha)


def _exp(log_value: float) -> float:
    """exp that saturates to inf instead of raising (an interval's end from a near-zero run can be astronomic)."""
    return math.inf if log_value > 709.0 else math.exp(log_value)


def run_mde(se_log: float, df: float, alpha: float = RUN_DRIFT_ALPHA, power: float = DETECTION_POWER) -> float:
    """Smallest relative change (0.3 = +30 %) a one-sided t-test at `alpha` detects with `power`, given the
    standard error of the log ratio measured from the spread between runs."""
    from scipy import stats as scipy_stats

    if not math.isfinite(se_log) or not math.isfinite(df) or df <= 0:
        return math.inf
    t_sum = float(scipy_stats.t.ppf(1.0 - alpha, df) + scipy_stats.t.ppf(power, df))
    return _exp(t_sum * se_log) - 1.0


def runs_to_detect(
    spread_log: float,
    change: float,
    alpha: float = RUN_DRIFT_ALPHA,
    power: float = DETECTION_POWER,
    session_sd: float = 0.0,
) -> int | None:
    """Runs per side that would detect a relative `change` (0.1 = 10 %) with `power`, for a between-run standard
    deviation `spread_log` of the log statistic (normal approximation, floored at MIN_RUNS); None when the session
    term alone (separate sessions) is too large for any number of runs."""
    if change <= 0 or not math.isfinite(spread_log):
        return MIN_RUNS
    z_sum = NormalDist().inv_cdf(1.0 - alpha) + NormalDist().inv_cdf(power)
    budget = (math.log1p(change) / z_sum) ** 2 - 2.0 * session_sd**2  # variance left for the runs' own spread
    if budget <= 0:
        return None
    return max(MIN_RUNS, math.ceil(2.0 * spread_log**2 / budget))


SETTLE_CEILING = 100  # beyond this many runs (or samples ×100) "would settle it" is not advice anyone can follow


def settle_hint(needed: int | None, unit: str = "runs per side") -> str:
    """The one wording of "what would settle it", for the budget gate and drift alike: ~N (within reach), more
    than the ceiling (not in practice), or never (None: the session term alone is larger than the change)."""
    if needed is None:
        return (
            "more runs would not settle it (the sides are separate sessions whose levels differ by more than that): "
            "`hologram ab` (interleaved) can"
        )
    ceiling = SETTLE_CEILING * (100 if unit == "samples" else 1)
    if needed > ceiling:
        return f"more than {ceiling} {unit} would be needed: in practice more would not settle it"
    return f"~{needed} {unit} would settle it"


def pooled_quantile(runs: list[np.ndarray], q: float = P95) -> float:
    """The q-quantile of all runs' samples pooled together (type 7)."""
    return quantile(np.sort(np.concatenate(runs)), q)


def run_bootstrap_quantile_ci(
    sorted_runs: list[np.ndarray],
    q: float = P95,
    confidence: float = BUDGET_CONFIDENCE,
    resamples: int = RUN_BOOTSTRAP_RESAMPLES,
) -> tuple[float, float]:
    """Interval of the pooled q-quantile that carries the variance between runs: whole runs are resampled (the
    hierarchical bootstrap's outer level), and the interval is the pooled estimate × exp(± t(k−1) · sd), with sd
    the bootstrap standard deviation of the log quantile scaled by sqrt(k/(k−1)).

    Why not the plain percentile interval: with 10 runs it is too narrow (the bootstrap's variance is (k−1)/k of
    the truth, and z is not t); on the real-noise data it said `pass` for 2.7 % of 10-run draws whose true p95
    was 1.25 × the budget (ipfs.cat), the t form 0.2 %, with 0 false fails at 0.8 × in both.

    Exact and cheap: a resample is a vector of run multiplicities w, its pooled ECDF at x is
    Σ w_i·count_i(≤x) / Σ w_i·n_i, and a mixture's q-quantile always lies between the smallest and the largest
    per-run q-quantile — so only the pooled values in that range are candidate answers (inverse-ECDF definition).
    Seeded from the data: the same runs always give the same interval.
    """
    from scipy import stats as scipy_stats

    k = len(sorted_runs)
    pooled = np.sort(np.concatenate(sorted_runs))
    estimate = quantile(pooled, q)
    per_run = [quantile(run, q) for run in sorted_runs]
    grid = pooled[(pooled >= min(per_run)) & (pooled <= max(per_run))]
    if k < 2 or len(grid) == 0 or estimate <= 0:
        return float(min(per_run)), float(max(per_run))
    if len(grid) > MAX_GRID:  # bounded memory (resamples x grid); the ends move by < 1/MAX_GRID of the range
        grid = grid[np.linspace(0, len(grid) - 1, MAX_GRID).astype(np.int64)]
    counts = np.stack([np.searchsorted(run, grid, side="right") for run in sorted_runs]).astype(np.float64)
    sizes = np.asarray([len(run) for run in sorted_runs], dtype=np.float64)
    rng = np.random.default_rng(_seed_from(*sorted_runs))
    weights = rng.multinomial(k, np.full(k, 1.0 / k), size=resamples).astype(np.float64)
    below = weights @ counts  # resamples x grid: samples ≤ each candidate
    needed = np.ceil(q * (weights @ sizes))[:, None]
    replicates = grid[np.argmax(below >= needed, axis=1)]
    sd_log = float(np.log(np.maximum(replicates, np.finfo(float).tiny)).std()) * math.sqrt(k / (k - 1))
    half = float(scipy_stats.t.ppf(0.5 + confidence / 2.0, k - 1)) * sd_log
    return estimate * math.exp(-half), estimate * _exp(half)
