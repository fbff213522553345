"""Statistical quality of the verdicts, by seeded simulation (1,000 trials per figure)."""

from __future__ import annotations

import pytest

from hologram_lib.stats import runs_to_detect
from tests.simulation import budget_fail_rate, regressed_rate, runs_regressed_rate

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


@pytest.mark.parametrize("sigma_between", [0.1, 0.3, 0.6])
@pytest.mark.parametrize("ar", [0.2, 0.5])
def test_runs_a_a_rarely_says_regressed_whatever_the_noise_between_runs(sigma_between: float, ar: float) -> None:
    assert runs_regressed_rate(sigma_between, ar, 300, n=100, seed=int(10 * sigma_between)) <= 0.01


def test_runs_catch_a_whole_twenty_percent_with_ten_runs_on_a_quiet_runner() -> None:
    assert runs_regressed_rate(0.1, 0.5, 300, factor=1.2, n=100, seed=3) >= 0.70


def test_runs_to_detect_is_what_it_takes_on_a_noisy_runner() -> None:
    """σ between runs 0.3: ten runs per side cannot see +20 % (no test can: the standard error of the log ratio
    is 0.13 against a log effect of 0.18); the runs that runs_to_detect asks for do."""
    assert runs_regressed_rate(0.3, 0.5, 300, factor=1.2, n=100, seed=4) <= 0.15
    needed = runs_to_detect(0.3, 0.2, power=0.9)
    assert 60 <= needed <= 120
    assert runs_regressed_rate(0.3, 0.5, 200, factor=1.2, runs=needed, n=50, seed=5) >= 0.85
