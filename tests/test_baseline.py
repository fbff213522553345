"""Baseline promote (main only, green only, atomic) and compare (regressed / improved / unchanged / new / gone)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from hologram_lib import baseline as baseline_mod
from hologram_lib import config, drift, stats
from hologram_lib.perf.files import load_perf_dir
from tests.helpers import hologram, lognormal, lognormal_runs

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


def test_promote_writes_schema_3_with_provenance_and_runs(
    make_perf_dir: Callable[..., Path], healthy_metrics: dict[str, object], tmp_path: Path
) -> None:
    target = tmp_path / "out" / "baseline.json"
    done = promote(make_perf_dir(healthy_metrics), target)
    assert done.returncode == 0, done.stderr
    document = json.loads(target.read_text())
    assert document["schema"] == "hologram-baseline/3"
    assert document["provenance"]["branch"] == "main"
    assert {"commit", "runner", "python", "profile", "knobs"} <= set(document["provenance"])
    verify = document["metrics"]["core.verify_ms"]
    assert verify["n"] == 400 and len(verify["runs"]) == 10 and all(len(run) == 40 for run in verify["runs"])
    pooled = np.concatenate(healthy_metrics["core.verify_ms"])
    assert verify["p95_ms"] == pytest.approx(stats.quantile(np.sort(pooled)), rel=1e-5)
    assert "graphql.resolve_ms" not in document["metrics"]
    assert [p.name for p in target.parent.iterdir()] == ["baseline.json"]  # no temp file left behind
    assert baseline_mod.read_baseline(target).label == "hologram-baseline/3, 10 runs"


def test_promote_refuses_off_main_after_a_failed_gate_and_with_one_run(
    make_perf_dir: Callable[..., Path], healthy_metrics: dict[str, object], tmp_path: Path
) -> None:
    perf_dir = make_perf_dir(healthy_metrics)
    target = tmp_path / "baseline.json"
    target.write_text('{"core.verify_ms": 7.41}')
    off_main = promote(perf_dir, target, env={"GITHUB_REF_NAME": "feature/x"})
    assert off_main.returncode == 2 and "branch 'feature/x'" in off_main.stderr
    red = promote(perf_dir, target, env={**MAIN, "SLO_VERIFY_P95_MS": "0.1"})
    assert red.returncode == 1 and "failed perf gate" in red.stderr
    one = {"core.verify_ms": lognormal(1.0, 0.1, 200, 1), "core.encode_1MB_ms": lognormal(1.0, 0.1, 200, 2)}
    one_run = promote(make_perf_dir(one, name="one"), target)
    assert one_run.returncode == 2 and "at least 3 runs" in one_run.stderr and "core.verify_ms" in one_run.stderr
    assert target.read_text() == '{"core.verify_ms": 7.41}'  # the old baseline is untouched
    forced = promote(perf_dir, target, "--force", env={"GITHUB_REF_NAME": "feature/x", "SLO_VERIFY_P95_MS": "0.1"})
    assert forced.returncode == 0
    assert json.loads(target.read_text())["schema"] == "hologram-baseline/3"


def compare(perf_dir: Path, baseline: Path, *extra: str, env: dict[str, str] | None = None):
    return hologram("baseline", "compare", "--perf-dir", str(perf_dir), "--baseline", str(baseline), *extra, env=env)


def test_compare_verdicts_end_to_end(make_perf_dir: Callable[..., Path], tmp_path: Path) -> None:
    base_dir = make_perf_dir(
        {
            "core.verify_ms": lognormal_runs(1.0, 0.1, 10, 50, 1),
            "core.encode_1MB_ms": lognormal_runs(10.0, 0.1, 10, 50, 2),
            "ipfs.cat_ms": lognormal_runs(3.0, 0.1, 10, 50, 3),
            "ipfs.add_ms": lognormal_runs(4.0, 0.1, 10, 50, 4),
        },
        name="base",
    )
    target = tmp_path / "baseline.json"
    assert promote(base_dir, target, "--force").returncode == 0
    current = make_perf_dir(
        {
            "core.verify_ms": lognormal_runs(1.3, 0.1, 10, 50, 11),  # +30 %: regressed
            "core.encode_1MB_ms": lognormal_runs(10.0, 0.1, 10, 50, 12),  # same: unchanged
            "ipfs.cat_ms": lognormal_runs(2.0, 0.1, 10, 50, 13),  # -33 %: improved
            "graphql.resolve_ms": lognormal_runs(5.0, 0.1, 10, 50, 14),  # new
        },
        name="current",
    )  # ipfs.add_ms: gone (no budget)
    out = tmp_path / "drift.json"
    done = compare(current, target, "--json", str(out))
    assert done.returncode == 1, done.stdout + done.stderr
    drifts = {d["metric"]: d for d in json.loads(out.read_text())["drifts"]}
    assert {k: d["status"] for k, d in drifts.items()} == {
        "core.verify_ms": "regressed",
        "core.encode_1MB_ms": "unchanged",
        "ipfs.cat_ms": "improved",
        "graphql.resolve_ms": "new",
        "ipfs.add_ms": "gone",
    }
    verify = drifts["core.verify_ms"]["result"]
    assert verify["runs_baseline"] == verify["runs_current"] == 10
    assert verify["ratio"] == pytest.approx(1.3, rel=0.1) and verify["ci_low"] > 1.0
    assert verify["tail_ratio"] == pytest.approx(1.3, rel=0.1) and verify["tail_mde_pct"] > 0
    assert "REGRESSED    core.verify_ms" in done.stdout and "can only reveal changes above" in done.stdout
    lenient = compare(current, target, "--threshold-pct", "40")
    assert lenient.returncode == 0, lenient.stdout


def test_gone_budgeted_metric_fails(make_perf_dir: Callable[..., Path], tmp_path: Path) -> None:
    base_dir = make_perf_dir({"core.verify_ms": lognormal_runs(1.0, 0.1, 5, 40, 1)}, name="base")
    target = tmp_path / "baseline.json"
    assert promote(base_dir, target, "--force").returncode == 0
    current = make_perf_dir({"core.encode_1MB_ms": lognormal_runs(10.0, 0.1, 5, 40, 2)}, name="current")
    done = compare(current, target)
    assert done.returncode == 1 and "GONE         core.verify_ms" in done.stdout and "budget" in done.stdout


def test_skipped_suite_allowed_by_profile_is_not_gone(make_perf_dir: Callable[..., Path], tmp_path: Path) -> None:
    base_dir = make_perf_dir({"graphql.resolve_ms": lognormal_runs(5.0, 0.1, 5, 40, 1)}, name="base")
    target = tmp_path / "baseline.json"
    assert promote(base_dir, target, "--force").returncode == 0
    current = make_perf_dir({"graphql.resolve_ms": "skipped: GRAPHQL_URL is not set"}, name="current")
    assert compare(current, target, "--profile", "pr").returncode == 0
    assert compare(current, target, "--profile", "main").returncode == 1


def test_one_run_baselines_never_regress_unless_asked(make_perf_dir: Callable[..., Path], tmp_path: Path) -> None:
    """The upstream flat form and /2 hold one run: the noise between processes is unknown, so the comparison is
    inconclusive (exit 0) — unless the user asks for the one-run test."""
    flat = tmp_path / "flat.json"
    flat.write_text('{"core.verify_ms": 1.0, "core.encode_1MB_ms": 10.0}')
    current = make_perf_dir(
        {
            "core.verify_ms": lognormal_runs(1.5, 0.1, 10, 40, 1),
            "core.encode_1MB_ms": lognormal_runs(8.5, 0.1, 10, 40, 2),
        }
    )
    done = compare(current, flat)
    assert done.returncode == 0, done.stdout
    assert "upstream flat form, no samples (point estimate only); 1 run: machine noise not measured" in done.stdout
    assert done.stdout.count("INCONCLUSIVE") == 2 and "--allow-one-run" in done.stdout
    asked = compare(current, flat, "--allow-one-run")
    assert asked.returncode == 1 and "REGRESSED    core.verify_ms" in asked.stdout
    assert compare(current, flat, env={"HOLOGRAM_ALLOW_ONE_RUN": "1"}).returncode == 1
    v2 = tmp_path / "v2.json"
    samples = [round(float(v), 6) for v in lognormal(1.0, 0.1, 200, 3)]
    p95 = round(stats.quantile(np.sort(samples)), 6)
    v2.write_text(
        json.dumps(
            {
                "schema": "hologram-baseline/2",
                "metrics": {"core.verify_ms": {"p95_ms": p95, "n": 200, "samples": samples}},
            }
        )
    )
    assert baseline_mod.read_baseline(v2).label == "hologram-baseline/2, 1 run: machine noise not measured"
    assert compare(current, v2).returncode == 0
    assert compare(current, v2, "--allow-one-run").returncode == 1


def test_too_few_runs_is_inconclusive_with_the_runs_needed() -> None:
    result = baseline_mod.compare_runs(lognormal_runs(1, 0.1, 2, 50, 1), lognormal_runs(2, 0.1, 10, 50, 2))
    assert result.status == "inconclusive" and result.runs_needed == 3
    assert "2 baseline run(s) vs 10 current" in result.note


def test_env_threshold(make_perf_dir: Callable[..., Path], tmp_path: Path) -> None:
    target = tmp_path / "baseline.json"
    base = make_perf_dir({"core.verify_ms": lognormal_runs(1.0, 0.1, 10, 40, 1)}, name="b")
    assert promote(base, target, "--force").returncode == 0
    current = make_perf_dir({"core.verify_ms": lognormal_runs(1.3, 0.1, 10, 40, 2)}, name="c")
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


@pytest.mark.slow
def test_compare_runs_api() -> None:
    base = lognormal_runs(1.0, 0.2, 10, 100, 1, between=0.1)
    same = baseline_mod.compare_runs(base, lognormal_runs(1.0, 0.2, 10, 100, 2, between=0.1))
    assert same.status in ("unchanged", "inconclusive") and same.ci_low < 1 < same.ci_high
    assert 0 < same.mde_pct < 100 and same.tail_mde_pct is not None and same.tail_mde_pct > 0
    worse = baseline_mod.compare_runs(base, lognormal_runs(1.3, 0.2, 10, 100, 3, between=0.1))
    assert worse.status == "regressed" and worse.ci_low > 1.0 and worse.p_value < 0.0025
    better = baseline_mod.compare_runs(base, lognormal_runs(0.7, 0.2, 10, 100, 4, between=0.1), paired=True)
    assert better.status == "improved"
    with pytest.raises(ValueError, match="as many runs"):
        baseline_mod.compare_runs(base, base[:5], paired=True)
    with pytest.raises(ValueError, match="samples in every run"):
        baseline_mod.compare_runs(base, [*base[:4], []])


def test_bh_correction_applies_across_metrics(make_perf_dir: Callable[..., Path], tmp_path: Path) -> None:
    """The p-values that decide drift are Benjamini–Hochberg adjusted over every metric tested (the centre)."""
    keys = [f"core.m{i}_ms" for i in range(8)]
    base = {k: lognormal_runs(1.0, 0.1, 8, 40, i, between=0.1) for i, k in enumerate(keys)}
    current = {k: lognormal_runs(1.0 + 0.05 * i, 0.1, 8, 40, 100 + i, between=0.1) for i, k in enumerate(keys)}
    target = tmp_path / "baseline.json"
    assert promote(make_perf_dir(base, name="b"), target, "--force").returncode == 0
    stored_base = baseline_mod.read_baseline(target)
    stored_current = load_perf_dir(make_perf_dir(current, name="c"))
    drifts = baseline_mod.compare_metric_sets(
        stored_base, stored_current, 10.0, config.gate_settings("default", environ={})
    )
    separate = drift.SEPARATE_SESSIONS  # a baseline and a current collect are separate sessions
    raw = [
        baseline_mod.compare_runs(stored_base.metrics[k].runs, stored_current[k].runs, session=separate).p_value
        for k in keys
    ]
    adjusted = {d.metric: d.result.p_value for d in drifts}
    assert [adjusted[k] for k in keys] == pytest.approx(stats.benjamini_hochberg(raw))
    assert any(adjusted[k] > p for k, p in zip(keys, raw, strict=True))
