"""Budget verdicts: pass / fail / inconclusive / missing / skipped, budgets from profiles, env and files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from hologram_lib import config
from hologram_lib.budgets import check_budget, evaluate
from hologram_lib.errors import InputError
from hologram_lib.perf.files import load_perf_dir
from tests.helpers import hologram, lognormal


def test_check_budget_verdicts() -> None:
    samples = lognormal(10.0, 0.1, 400, 5)
    assert check_budget(samples, 20.0).status == "pass"
    assert check_budget(samples, 8.0).status == "fail"
    middle = check_budget(samples, float(np.quantile(samples, 0.95)))
    assert middle.status == "inconclusive"
    assert middle.samples_needed and middle.samples_needed > 400
    assert middle.ci_low_ms < middle.p95_ms < middle.ci_high_ms
    assert middle.n == 400


def test_too_few_samples_can_never_pass() -> None:
    result = check_budget(lognormal(1.0, 0.1, 40, 1), 1000.0)
    assert result.status == "inconclusive"
    assert result.ci_high_ms == float("inf")
    assert result.samples_needed >= 72


def test_profile_from_github_env() -> None:
    assert config.resolve_profile(environ={"GITHUB_EVENT_NAME": "pull_request"}) == "pr"
    assert config.resolve_profile(environ={"GITHUB_EVENT_NAME": "schedule"}) == "nightly"
    assert config.resolve_profile(environ={"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main"}) == "main"
    assert config.resolve_profile(environ={}) == "default"
    assert config.resolve_profile(environ={"HOLOGRAM_PROFILE": "main", "GITHUB_EVENT_NAME": "pull_request"}) == "main"
    with pytest.raises(InputError, match="unknown profile 'fast'"):
        config.resolve_profile("fast")


def test_env_var_beats_profile_and_budgets_file(tmp_path: Path) -> None:
    budgets = tmp_path / "budgets.toml"
    budgets.write_text(
        '[budgets]\n"ipfs.add_ms" = 50\n"core.verify_ms" = 3\n[profiles.main.budgets]\n"ipfs.add_ms" = 20\n'
    )
    settings = config.gate_settings("main", budgets, environ={"SLO_VERIFY_P95_MS": "12.5"})
    assert settings.budgets["core.verify_ms"] == 12.5
    assert settings.budget_sources["core.verify_ms"] == "SLO_VERIFY_P95_MS"
    assert settings.budgets["ipfs.add_ms"] == 20
    assert settings.budgets[config.ENCODE_METRIC_PATTERN] == 80.0
    assert config.gate_settings("pr", budgets, environ={}).budgets["ipfs.add_ms"] == 50


@pytest.mark.parametrize("raw", ["0", "-3", "abc", "nan", "inf", ""])
def test_budget_env_var_must_be_positive(raw: str) -> None:
    if raw == "":
        assert config.gate_settings(environ={"SLO_GQL_P95_MS": raw}).budgets[config.GRAPHQL_METRIC] == 100.0
        return
    with pytest.raises(InputError, match="SLO_GQL_P95_MS: expected a positive number"):
        config.gate_settings(environ={"SLO_GQL_P95_MS": raw})


def test_encode_budget_applies_whatever_enc_mb(make_perf_dir: Callable[..., Path]) -> None:
    perf_dir = make_perf_dir(
        {
            "core.verify_ms": lognormal(1, 0.1, 200, 1),
            "core.encode_4MB_ms": lognormal(200, 0.1, 200, 2),
            "graphql.resolve_ms": "skipped: GRAPHQL_URL is not set",
        }
    )
    report = evaluate(load_perf_dir(perf_dir), config.gate_settings("default", environ={}))
    verdicts = {v.metric: v.status for v in report.verdicts}
    assert verdicts["core.encode_4MB_ms"] == "fail"
    assert not report.passed


def test_missing_budgeted_metric_fails_the_gate(make_perf_dir: Callable[..., Path]) -> None:
    perf_dir = make_perf_dir({"core.verify_ms": lognormal(1, 0.1, 200, 1), "graphql.resolve_ms": "skipped: no url"})
    report = evaluate(load_perf_dir(perf_dir), config.gate_settings("default", environ={}))
    assert {v.metric: v.status for v in report.verdicts}["core.encode_*MB_ms"] == "missing"
    assert not report.passed


def test_skip_is_allowed_on_pr_but_missing_on_main(
    make_perf_dir: Callable[..., Path], healthy_metrics: dict[str, object]
) -> None:
    metrics = load_perf_dir(make_perf_dir(healthy_metrics))
    pr = evaluate(metrics, config.gate_settings("pr", environ={}))
    assert pr.passed
    assert {v.metric: v.status for v in pr.verdicts}["graphql.resolve_ms"] == "skipped"
    main = evaluate(metrics, config.gate_settings("main", environ={}))
    assert {v.metric: v.status for v in main.verdicts}["graphql.resolve_ms"] == "missing"
    assert not main.passed


def test_suite_error_is_missing_not_skipped(
    make_perf_dir: Callable[..., Path], healthy_metrics: dict[str, object]
) -> None:
    healthy_metrics["graphql.resolve_ms"] = "error: GraphQL error: resolve failed"
    report = evaluate(load_perf_dir(make_perf_dir(healthy_metrics)), config.gate_settings("pr", environ={}))
    verdict = next(v for v in report.verdicts if v.metric == "graphql.resolve_ms")
    assert verdict.status == "missing" and "resolve failed" in verdict.reason
    assert not report.passed


def test_upstream_summary_without_samples_follows_point_estimate(tmp_path: Path) -> None:
    perf_dir = tmp_path / "perf"
    perf_dir.mkdir()
    (perf_dir / "core_perf.csv").write_text(
        "suite,metric,p50_ms,p95_ms,p99_ms,avg_ms,n,note\n"
        "core,verify_ms,1.000,2.000,3.000,1.100,60,\n"
        "core,encode_1MB_ms,40.000,95.000,99.000,50.000,30,\n"
        "graphql,resolve_ms,,,,,0,skipped: GRAPHQL_URL is not set\n"
    )
    report = evaluate(load_perf_dir(perf_dir), config.gate_settings("default", environ={"SLO_ENCODE_P95_MS": "90"}))
    verdicts = {v.metric: v for v in report.verdicts}
    assert verdicts["core.verify_ms"].status == "inconclusive" and not verdicts["core.verify_ms"].blocks
    assert "no samples" in verdicts["core.verify_ms"].reason
    assert verdicts["core.encode_1MB_ms"].blocks
    assert not report.passed


def test_gate_cli_json_and_exit_codes(
    make_perf_dir: Callable[..., Path], healthy_metrics: dict[str, object], tmp_path: Path
) -> None:
    perf_dir = make_perf_dir(healthy_metrics)
    out = tmp_path / "gate.json"
    passed = hologram("gate", "--perf-dir", str(perf_dir), "--json", str(out))
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert json.loads(out.read_text())["passed"] is True
    failed = hologram("gate", "--perf-dir", str(perf_dir), env={"SLO_VERIFY_P95_MS": "0.5"})
    assert failed.returncode == 1
    assert "FAIL" in failed.stdout and "core.verify_ms" in failed.stdout and "budget 0.5 ms" in failed.stdout
    bad = hologram("gate", "--perf-dir", str(perf_dir), "--profile", "warp")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "hologram: error: unknown profile 'warp': expected one of pr, main, nightly, default"


def test_one_budget_rule_for_collect_gate_and_drift(tmp_path, make_perf_dir) -> None:
    """A budgets file's "core.*" beats the profile's encode pattern everywhere: collect extends against it, the
    gate judges against it (and only it), drift calls a gone metric budgeted by it."""
    budgets = tmp_path / "budgets.toml"
    budgets.write_text('[budgets]\n"core.*" = 0.5\n"core.verify_ms" = 7\n')
    settings = config.gate_settings("default", budgets, environ={})
    assert settings.budget_for("core.encode_1MB_ms") == 0.5  # the file beats the profile's 100
    assert settings.budget_for("core.verify_ms") == 7.0  # an exact name beats a pattern of the same source
    assert (
        config.gate_settings("default", budgets, environ={"SLO_VERIFY_P95_MS": "9"}).budget_for("core.verify_ms") == 9
    )
    perf_dir = make_perf_dir(
        {"core.encode_1MB_ms": lognormal(10.0, 0.1, 200, 2), "core.verify_ms": lognormal(1.0, 0.1, 200, 1)}
    )
    report = evaluate(load_perf_dir(perf_dir), settings)
    judged = [
        (v.metric, v.budget_ms) for v in report.verdicts if v.metric.startswith("core.") and v.status != "missing"
    ]
    assert judged == [("core.encode_1MB_ms", 0.5), ("core.verify_ms", 7.0)]  # one verdict per metric
