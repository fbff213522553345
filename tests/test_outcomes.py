"""Typed outcomes and the small shared helpers: statuses are the StrEnums (and serialise as the words they always
were), wide results are built by field name, one run-id and time format, one millisecond formatter."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from datetime import UTC, datetime, timedelta

import pytest

from hologram_lib import clock
from hologram_lib.baseline import MetricDrift
from hologram_lib.budgets import BudgetResult, MetricVerdict, check_budget
from hologram_lib.drift import DriftResult
from hologram_lib.e2e.events import STEPS
from hologram_lib.e2e.probe import Probe, ProbeResult
from hologram_lib.e2e.summary import Summary
from hologram_lib.outcomes import Budget, Drift, Posting, Step
from hologram_lib.perf.files import MetricData
from hologram_lib.units import ms
from hologram_lib.verdict import Overall

WIDE_RESULTS = [DriftResult, MetricDrift, BudgetResult, MetricVerdict, MetricData, Overall, Summary, ProbeResult]


@pytest.mark.parametrize("kind", WIDE_RESULTS, ids=lambda k: k.__name__)
def test_wide_results_are_built_by_field_name_only(kind: type) -> None:
    fields = dataclasses.fields(kind)
    assert len(fields) >= 6 and all(f.kw_only for f in fields)
    with pytest.raises(TypeError, match="positional"):
        kind(*range(len(fields)))


def test_a_status_is_its_word_in_json_text_and_compares() -> None:
    result = check_budget([1.0] * 100, budget_ms=5.0)
    assert result.status is Budget.PASS and type(result.status) is Budget
    assert json.dumps({"status": result.status, "steps": [Step.OK, Drift.REGRESSED, Posting.DRY_RUN]}) == (
        '{"status": "pass", "steps": ["ok", "regressed", "dry run"]}'
    )
    assert f"{Drift.INCONCLUSIVE}" == str(Drift.INCONCLUSIVE) == "inconclusive"
    assert json.loads('"skip"') == Step.SKIP and Step("fail") is Step.FAIL


def test_one_run_id_format_that_dates_the_run() -> None:
    before = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    run_id = clock.new_run_id()
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{8}", run_id), run_id
    made = clock.run_id_time(run_id)
    assert made is not None and before <= made <= before + timedelta(seconds=5)
    assert clock.run_id_time("upstream-0123456789abcdef") is None
    assert clock.new_run_id() != run_id


def test_utc_stamps_end_in_z_to_the_second_or_millisecond() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", clock.utc_stamp())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", clock.utc_stamp("milliseconds"))


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.23456, "1.235"), (0.0, "0.000"), (None, "—"), (math.nan, "—"), (math.inf, "∞"), (-math.inf, "-∞")],
)
def test_one_millisecond_formatter(value: float | None, text: str) -> None:
    assert ms(value) == text


def test_the_formatter_puts_a_suffix_after_a_number_only() -> None:
    assert ms(2.5, "×") == "2.500×" and ms(None, "×") == "—" and ms(math.inf, "×") == "∞"


def test_the_probe_runs_the_one_step_list_the_summary_counts() -> None:
    """events.STEPS is the one list: the probe calls its method of each name, in order (there were two lists)."""
    assert len(STEPS) == len(set(STEPS)) >= 10 and STEPS[0] == "preflight"
    assert all(callable(getattr(Probe, step, None)) for step in STEPS)
