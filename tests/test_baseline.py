"""Baseline promote (main only, green only, atomic) and compare (regressed / improved / unchanged / new / gone)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from hologram_lib import baseline as baseline_mod
from hologram_lib import config, stats
from hologram_lib.perf.files import load_perf_dir
from tests.conftest import hologram, lognormal

MAIN = {"GITHUB_REF_NAME": "main"}


def promote(perf_dir: Path, target: Path, *extra: str, env: dict[str, str] | None = None):
    return hologram(
        "baseline",
        "promote",
        "--perf-dir",
        str(perf_dir),
        "--baseline",
        str(target),
        *extra,
        env=env if env is not None else MAIN,
    )


def test_promote_writes_schema_2_with_provenance_and_samples(
    make_perf_dir: Callable[..., Path], healthy_metrics: dict[str, object], tmp_path: Path
) -> None:
    target = tmp_path / "out" / "baseline.json"
    done = promote(make_perf_dir(healthy_metrics), target)
    assert done.returncode == 0, done.stderr
    document = json.loads(target.read_text())
    assert document["schema"] == "hologram-baseline/2"
    assert document["provenance"]["branch"] == "main"
    assert {"commit", "runner", "python", "profile", "knobs"} <= set(document["provenance"])
    verify = document["metrics"]["core.verify_ms"]
    assert verify["n"] == 200 and len(verify["samples"]) == 200
    assert verify["p95_ms"] == pytest.approx(np.quantile(healthy_metrics["core.verify_ms"], 0.95), rel=1e-5)
    assert "graphql.resolve_ms" not in document["metrics"]
    assert [p.name for p in target.parent.iterdir()] == ["baseline.json"]  # no temp file left behind


def test_promote_refuses_off_main_and_after_a_failed_gate(
    make_perf_dir: Callable[..., Path], healthy_metrics: dict[str, object], tmp_path: Path
) -> None:
    perf_dir = make_perf_dir(healthy_metrics)
    target = tmp_path / "baseline.json"
    target.write_text('{"core.verify_ms": 7.41}')
    off_main = promote(perf_dir, target, env={"GITHUB_REF_NAME": "feature/x"})
    assert off_main.returncode == 2 and "branch 'feature/x'" in off_main.stderr
    red = promote(perf_dir, target, env={**MAIN, "SLO_VERIFY_P95_MS": "0.1"})
    assert red.returncode == 1 and "failed perf gate" in red.stderr
    assert target.read_text() == '{"core.verify_ms": 7.41}'  # the old baseline is untouched
    forced = promote(perf_dir, target, "--force", env={"GITHUB_REF_NAME": "feature/x", "SLO_VERIFY_P95_MS": "0.1"})
    assert forced.returncode == 0
    assert json.loads(target.read_text())["schema"] == "hologram-baseline/2"


def compare(perf_dir: Path, baseline: Path, *extra: str, env: dict[str, str] | None = None):
    return hologram("baseline", "compare", "--perf-dir", str(perf_dir), "--baseline", str(baseline), *extra, env=env)


def test_compare_verdicts_end_to_end(make_perf_dir: Callable[..., Path], tmp_path: Path) -> None:
    base_dir = make_perf_dir(
        {
            "core.verify_ms": lognormal(1.0, 0.1, 300, 1),
            "core.encode_1MB_ms": lognormal(10.0, 0.1, 300, 2),
            "ipfs.cat_ms": lognormal(3.0, 0.1, 300, 3),
            "ipfs.add_ms": lognormal(4.0, 0.1, 300, 4),
        },
        name="base",
    )
    target = tmp_path / "baseline.json"
    assert promote(base_dir, target, "--force").returncode == 0
    current = make_perf_dir(
        {
            "core.verify_ms": lognormal(1.3, 0.1, 300, 11),  # +30 %: regressed
            "core.encode_1MB_ms": lognormal(10.0, 0.1, 300, 12),  # same: unchanged
            "ipfs.cat_ms": lognormal(2.0, 0.1, 300, 13),  # -33 %: improved
            "graphql.resolve_ms": lognormal(5.0, 0.1, 300, 14),  # new
        },
        name="current",
    )  # ipfs.add_ms: gone (no budget)
    out = tmp_path / "drift.json"
    done = compare(current, target, "--json", str(out))
    assert done.returncode == 1, done.stdout + done.stderr
    statuses = {d["metric"]: d["status"] for d in json.loads(out.read_text())["drifts"]}
    assert statuses == {
        "core.verify_ms": "regressed",
        "core.encode_1MB_ms": "unchanged",
        "ipfs.cat_ms": "improved",
        "graphql.resolve_ms": "new",
        "ipfs.add_ms": "gone",
    }
    assert "REGRESSED  core.verify_ms" in done.stdout
    lenient = compare(current, target, "--threshold-pct", "40")
    assert lenient.returncode == 0, lenient.stdout


def test_gone_budgeted_metric_fails(make_perf_dir: Callable[..., Path], tmp_path: Path) -> None:
    base_dir = make_perf_dir({"core.verify_ms": lognormal(1.0, 0.1, 200, 1)}, name="base")
    target = tmp_path / "baseline.json"
    assert promote(base_dir, target, "--force").returncode == 0
    current = make_perf_dir({"core.encode_1MB_ms": lognormal(10.0, 0.1, 200, 2)}, name="current")
    done = compare(current, target)
    assert done.returncode == 1 and "GONE       core.verify_ms" in done.stdout and "budget" in done.stdout


def test_skipped_suite_allowed_by_profile_is_not_gone(make_perf_dir: Callable[..., Path], tmp_path: Path) -> None:
    base_dir = make_perf_dir({"graphql.resolve_ms": lognormal(5.0, 0.1, 200, 1)}, name="base")
    target = tmp_path / "baseline.json"
    assert promote(base_dir, target, "--force").returncode == 0
    current = make_perf_dir({"graphql.resolve_ms": "skipped: GRAPHQL_URL is not set"}, name="current")
    assert compare(current, target, "--profile", "pr").returncode == 0
    assert compare(current, target, "--profile", "main").returncode == 1


def test_upstream_flat_baseline_is_point_estimate_only(make_perf_dir: Callable[..., Path], tmp_path: Path) -> None:
    target = tmp_path / "baseline.json"
    target.write_text('{"core.verify_ms": 1.0, "core.encode_1MB_ms": 10.0}')
    current = make_perf_dir(
        {"core.verify_ms": lognormal(1.5, 0.1, 200, 1), "core.encode_1MB_ms": lognormal(8.5, 0.1, 200, 2)}
    )
    done = compare(current, target)
    assert done.returncode == 1
    assert "no samples, point estimates only" in done.stdout
    assert "baseline: no samples (point estimate only)" in done.stdout


def test_env_threshold(make_perf_dir: Callable[..., Path], tmp_path: Path) -> None:
    target = tmp_path / "baseline.json"
    assert (
        promote(make_perf_dir({"core.verify_ms": lognormal(1.0, 0.1, 300, 1)}, name="b"), target, "--force").returncode
        == 0
    )
    current = make_perf_dir({"core.verify_ms": lognormal(1.3, 0.1, 300, 2)}, name="c")
    assert compare(current, target).returncode == 1
    assert compare(current, target, env={"REGRESSION_THRESHOLD_PCT": "50"}).returncode == 0


def test_compare_samples_api() -> None:
    same = baseline_mod.compare_samples(lognormal(1, 0.1, 200, 1), lognormal(1, 0.1, 200, 2))
    assert same.status == "unchanged" and same.ci_low < 1 < same.ci_high
    assert same.mde_pct >= 10.0
    worse = baseline_mod.compare_samples(lognormal(1, 0.1, 200, 1), lognormal(1.25, 0.1, 200, 2))
    assert worse.status == "regressed" and worse.ratio > 1.1 and worse.ci_low > 1.0
    better = baseline_mod.compare_samples(lognormal(1, 0.1, 200, 1), lognormal(0.75, 0.1, 200, 2))
    assert better.status == "improved"
    assert (
        baseline_mod.compare_samples(lognormal(1, 0.1, 200, 1), lognormal(1.25, 0.1, 200, 2), 40.0).status
        == "unchanged"
    )


def test_bh_correction_applies_across_metrics(make_perf_dir: Callable[..., Path], tmp_path: Path) -> None:
    """The p-values that decide drift are Benjamini–Hochberg adjusted over every metric tested."""
    keys = [f"core.m{i}_ms" for i in range(8)]
    base = {k: lognormal(1.0, 0.3, 100, i) for i, k in enumerate(keys)}
    current = {k: lognormal(1.0 + 0.05 * i, 0.3, 100, 100 + i) for i, k in enumerate(keys)}
    target = tmp_path / "baseline.json"
    assert promote(make_perf_dir(base, name="b"), target, "--force").returncode == 0
    stored_base = baseline_mod.read_baseline(target)
    stored_current = load_perf_dir(make_perf_dir(current, name="c"))
    drifts = baseline_mod.compare_metric_sets(
        stored_base, stored_current, 10.0, config.gate_settings("default", environ={})
    )
    raw = [
        stats.bootstrap_quantile_ratio(stored_base.metrics[k].samples, stored_current[k].samples).p_value for k in keys
    ]
    adjusted = {d.metric: d.result.p_value for d in drifts}
    assert [adjusted[k] for k in keys] == pytest.approx(stats.benjamini_hochberg(raw))
    assert any(adjusted[k] > p for k, p in zip(keys, raw, strict=True))
