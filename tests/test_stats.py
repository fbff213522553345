"""Quantiles, their distribution-free intervals, the p95-ratio bootstrap, BH and the detectable effect."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hologram_lib import stats
from tests.helpers import lognormal


@pytest.mark.parametrize("n", [1, 2, 19, 72, 1000])
def test_quantile_matches_numpy_linear(n: int) -> None:
    data = stats.as_sorted(lognormal(5.0, 0.3, n, n))
    for q in (0.5, 0.95, 0.99):
        assert stats.quantile(data, q) == pytest.approx(float(np.quantile(data, q)))


def test_p95_interval_needs_72_samples() -> None:
    assert stats.min_samples_for_ci(0.95, 0.95) == 72
    assert stats.min_samples_for_ci(0.95, 0.90) == 59
    assert stats.min_samples_for_ci(0.95, 0.99) == 104
    assert stats.quantile_ci_ranks(71)[1] is None
    assert stats.quantile_ci_ranks(72)[1] == 71
    low, high = stats.quantile_ci(stats.as_sorted(np.arange(71.0)))
    assert high == math.inf and low > 0


def test_p95_interval_covers_the_true_p95_at_least_95_percent() -> None:
    true_p95 = math.exp(0.3 * 1.6448536269514722)  # lognormal(0, 0.3)
    covered = 0
    trials = 2000
    for seed in range(trials):
        low, high = stats.quantile_ci(stats.as_sorted(lognormal(1.0, 0.3, 200, seed)))
        covered += low <= true_p95 <= high
    assert covered / trials >= 0.94


def test_samples_to_settle_grows_as_the_budget_nears_the_estimate() -> None:
    far = stats.samples_to_settle(200, 10.0, 9.0, 11.5, 13.0)
    near = stats.samples_to_settle(200, 10.0, 9.0, 11.5, 10.5)
    assert 200 < far < near


def test_bootstrap_ratio_is_reproducible_and_sensible() -> None:
    base = stats.as_sorted(lognormal(10.0, 0.1, 300, 1))
    slower = stats.as_sorted(lognormal(13.0, 0.1, 300, 2))
    first = stats.bootstrap_quantile_ratio(base, slower)
    assert first == stats.bootstrap_quantile_ratio(base, slower)
    assert first.ci_low < first.ratio < first.ci_high
    assert first.ratio == pytest.approx(1.3, rel=0.05)
    assert first.p_value < 0.001
    same = stats.bootstrap_quantile_ratio(base, stats.as_sorted(lognormal(10.0, 0.1, 300, 3)))
    assert same.ci_low < 1.0 < same.ci_high
    assert same.p_value > 0.01


def test_exact_bootstrap_matches_resampling() -> None:
    data = stats.as_sorted(lognormal(10.0, 0.3, 150, 7))
    rng = np.random.default_rng(0)
    exact = stats.bootstrap_quantiles(data, 0.95, 20_000, rng)
    resampled = np.quantile(rng.choice(data, size=(4_000, len(data))), 0.95, axis=1)
    assert np.mean(exact) == pytest.approx(np.mean(resampled), rel=0.01)
    assert np.std(exact) == pytest.approx(np.std(resampled), rel=0.08)


def test_benjamini_hochberg_known_values() -> None:
    adjusted = stats.benjamini_hochberg([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert stats.benjamini_hochberg([]) == []
    assert stats.benjamini_hochberg([0.9, 0.8]) == pytest.approx([0.9, 0.9])


def test_minimum_detectable_effect_shrinks_with_less_noise() -> None:
    assert stats.minimum_detectable_effect(0.02) < stats.minimum_detectable_effect(0.05)
    assert stats.minimum_detectable_effect(0.0) == 0.0
