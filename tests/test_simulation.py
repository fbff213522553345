"""Statistical quality of the verdicts, by seeded simulation (1,000 trials per figure)."""

from __future__ import annotations

import pytest

from tests.simulation import budget_fail_rate, regressed_rate

pytestmark = pytest.mark.slow
TRIALS = 1000


@pytest.mark.parametrize("sigma", [0.1, 0.3])
@pytest.mark.parametrize("n", [72, 200])
def test_a_a_comparison_rarely_says_regressed(sigma: float, n: int) -> None:
    assert regressed_rate(sigma, n, TRIALS, seed=n) <= 0.01


@pytest.mark.parametrize("sigma", [0.1, 0.3])
@pytest.mark.parametrize("n", [72, 200])
def test_budget_rarely_fails_when_true_p95_is_90_percent_of_it(sigma: float, n: int) -> None:
    assert budget_fail_rate(sigma, n, TRIALS, seed=n) <= 0.01


def test_whole_distribution_shift_of_20_percent_is_caught() -> None:
    assert regressed_rate(0.1, 200, TRIALS, "shift20", seed=7) >= 0.95


def test_tail_only_regression_of_20_percent_is_caught() -> None:
    assert regressed_rate(0.1, 200, TRIALS, "tail20", seed=8) >= 0.80
