"""Calibration statistics: how noisy one metric is on this runner, from the runs of an A/A (`hologram calibrate`)
in the order they ran — the between-run spread, the session term, the smallest change a paired A/B can reveal and
the runs a stored-baseline comparison needs. Pure numbers: no measuring, no files."""

from __future__ import annotations

import math

import numpy as np

from hologram_lib import stats


def _spread(runs: list[np.ndarray], q: float) -> float:
    logs = np.log(np.maximum([stats.quantile(run, q) for run in runs], np.finfo(np.float64).tiny))
    return float(logs.std(ddof=1)) if len(logs) > 1 else math.nan


SESSION_BLOCK = 5  # consecutive runs that stand in for one short session when measuring the session term


def session_sd(time_ordered: list[np.ndarray], q: float, floor: float) -> float:
    """The log-sd of a session's level beyond what its runs' spread explains: blocks of consecutive runs are
    sessions; var(block means) − mean(var within a block) / block size. Floored at the default: a short
    calibration underestimates it, and an underestimate costs false alarms."""
    logs = np.log(np.maximum([stats.quantile(run, q) for run in time_ordered], np.finfo(np.float64).tiny))
    blocks = [logs[i : i + SESSION_BLOCK] for i in range(0, len(logs) - SESSION_BLOCK + 1, SESSION_BLOCK)]
    if len(blocks) < 2:
        return floor
    means = np.array([block.mean() for block in blocks])
    within = float(np.mean([block.var(ddof=1) for block in blocks])) / SESSION_BLOCK
    return max(floor, math.sqrt(max(0.0, float(means.var(ddof=1)) - within)))


def noise_entry(
    time_ordered: list[np.ndarray], per_side: int, aa: tuple[str, float], threshold_pct: float
) -> dict[str, object]:
    """How noisy one metric is on this runner, from all the calibration runs of both groups in the order they ran;
    `aa`: the A/A verdict of the two groups (status, ratio)."""
    runs = time_ordered
    within = float(np.median([np.log(np.maximum(run, 1e-9)).std(ddof=1) for run in runs]))
    spread_median, spread_p95 = _spread(runs, 0.5), _spread(runs, stats.P95)
    session_median = session_sd(runs, 0.5, stats.DEFAULT_SESSION_SD)
    session_p95 = session_sd(runs, stats.P95, stats.DEFAULT_SESSION_SD_P95)
    df = 2.0 * per_side - 2.0
    se_scale = math.sqrt(2.0 / per_side)
    return {
        "runs": len(runs),
        "between_run_sd_log_median": round(spread_median, 5),
        "between_run_sd_log_p95": round(spread_p95, 5),
        "within_run_sd_log": round(within, 5),
        "session_sd_log_median": round(session_median, 5),
        "session_sd_log_p95": round(session_p95, 5),
        "aa_status": aa[0],
        "aa_ratio": round(aa[1], 5),
        "mde_median_pct": round(100.0 * stats.run_mde(spread_median * se_scale, df), 2),
        "mde_p95_pct": round(100.0 * stats.run_mde(spread_p95 * se_scale, df, stats.TAIL_DRIFT_ALPHA), 2),
        # Against a stored baseline (a separate session); None: no number of runs can, only a paired A/B.
        f"runs_for_{threshold_pct:g}pct_median": stats.runs_to_detect(
            spread_median, threshold_pct / 100.0, session_sd=session_median
        ),
        f"runs_for_{threshold_pct:g}pct_p95": stats.runs_to_detect(
            spread_p95, threshold_pct / 100.0, stats.TAIL_DRIFT_ALPHA, session_sd=session_p95
        ),
    }
