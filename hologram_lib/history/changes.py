"""Change points: where a metric's level shifted in its series of runs (one value per run, in run order).

Method (chosen on measured quality and speed, docs/history.md): candidates from `ruptures`' binary
segmentation on the log series (a relative shift is a shift of the log level; PELT scored the same and took
50 × longer) with a BIC-style penalty of 3·σ²·ln n, σ the noise estimated robustly from the first differences
(median absolute deviation, so that the shifts themselves and single outliers barely move it); then, as Apache
Otava does after its E-divisive pass, each candidate is tested with Welch's t-test between the segments on either
side of it, and the least significant one is dropped until every remaining change point has p < `alpha` (0.001,
Otava's default). Segments are at least `min_size` runs long (5): a single outlier cannot form a segment of its
own, and in a segment of five it inflates the variance instead of the level.

Pure maths, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

ALPHA = 0.001
MIN_SIZE = 5
PENALTY_FACTOR = 3.0
_MAD_TO_SD = 1.4826


@dataclass(frozen=True)
class ChangePoint:
    """A level shift: `index` is the first run after it; `before` / `after` the medians of the segments on either
    side (in the series' units); `p_value` of Welch's t-test between them (on logs for positive series)."""

    index: int
    before: float
    after: float
    p_value: float

    @property
    def ratio(self) -> float:
        return self.after / self.before if self.before else math.inf


def _noise_sd(values: np.ndarray) -> float:
    diffs = np.diff(values)
    mad = float(np.median(np.abs(diffs - np.median(diffs))))
    return _MAD_TO_SD * mad / math.sqrt(2.0)


def _welch_p(left: np.ndarray, right: np.ndarray) -> float:
    from scipy import stats as scipy_stats

    if np.ptp(left) == 0 and np.ptp(right) == 0:
        return 1.0 if left[0] == right[0] else 0.0
    return float(scipy_stats.ttest_ind(left, right, equal_var=False).pvalue)


def cumulative_l2() -> Any:
    """ruptures' least-squares cost ("l2") from running sums: a segment's cost in O(1) instead of a variance over
    the segment, so the same breaks come 3 × sooner on 1,000-run series (the history page seeks them in every
    series of a store; `tests/test_history_page.py` checks the breaks are the same as CostL2's)."""
    from ruptures.base import BaseCost
    from ruptures.costs import NotEnoughPoints

    class CumulativeL2(BaseCost):  # type: ignore[misc]
        model = "l2"
        min_size = 1

        def fit(self, signal: np.ndarray) -> CumulativeL2:
            self.signal = np.asarray(signal, dtype=np.float64).reshape(len(signal), -1)
            zero = np.zeros((1, self.signal.shape[1]))
            self._sums = np.concatenate([zero, np.cumsum(self.signal, axis=0)])
            self._squares = np.concatenate([zero, np.cumsum(self.signal * self.signal, axis=0)])
            return self

        def error(self, start: int, end: int) -> float:
            if end - start < self.min_size:
                raise NotEnoughPoints
            total = self._sums[end] - self._sums[start]
            return float((self._squares[end] - self._squares[start] - total * total / (end - start)).sum())

    return CumulativeL2()


def _candidates(values: np.ndarray, min_size: int) -> list[int]:
    import ruptures

    sd = _noise_sd(values)
    if sd == 0.0:
        sd = float(values.std()) or 1e-12
    penalty = PENALTY_FACTOR * sd**2 * math.log(len(values))
    search = ruptures.Binseg(custom_cost=cumulative_l2(), min_size=min_size, jump=1)
    breaks = search.fit(values).predict(pen=penalty)
    return [int(b) for b in breaks[:-1]]  # ruptures ends the list with len(values)


def _p_values(values: np.ndarray, points: list[int]) -> list[float]:
    edges = [0, *points, len(values)]
    return [_welch_p(values[edges[i] : edges[i + 1]], values[edges[i + 1] : edges[i + 2]]) for i in range(len(points))]


def change_points(series: Sequence[float], *, alpha: float = ALPHA, min_size: int = MIN_SIZE) -> list[ChangePoint]:
    """The significant level shifts of `series` (floats in run order, e.g. per-run medians); [] when nothing
    shifted. Non-finite values are refused (ValueError): a gap in a series is the caller's to drop."""
    raw = np.asarray(series, dtype=np.float64)
    if raw.ndim != 1 or not np.all(np.isfinite(raw)):
        raise ValueError("change_points: expected a 1-D sequence of finite numbers")
    if len(raw) < 2 * min_size:
        return []
    values = np.log(raw) if np.all(raw > 0) else raw
    points = _candidates(values, min_size)
    while points:
        p_values = _p_values(values, points)
        weakest = int(np.argmax(p_values))
        if p_values[weakest] < alpha:
            break
        del points[weakest]
    p_values = _p_values(values, points)
    edges = [0, *points, len(raw)]
    return [
        ChangePoint(
            point,
            float(np.median(raw[edges[i] : point])),
            float(np.median(raw[point : edges[i + 2]])),
            p_values[i],
        )
        for i, point in enumerate(points)
    ]
