"""One verdict, everywhere the same (issue 20): the gate, the job summary, the badge and the Slack / Teams payloads
come from the one judge, so they agree — for every combination of history store, baseline.json and A/B.

The situation of the issue: the history store holds green main runs that the current run regressed from, while the
baseline.json beside it says nothing changed. Before, `make gate` judged against the store (FAIL) while `summary`
and `notify` judged against the file (PASS) and the badge said "unknown".
"""

from __future__ import annotations

import itertools
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from hologram_lib.baseline import baseline_document, write_baseline
from hologram_lib.drift import DriftResult
from hologram_lib.e2e.events import EventLog
from hologram_lib.experiments.ab import AbReport, write_ab
from hologram_lib.history.exchange import import_paths
from hologram_lib.machine import fingerprint as machine_fingerprint
from hologram_lib.perf.files import MetricResult, load_perf_dir, write_suite
from tests.conftest import ROOT, hologram, lognormal_runs


def head_commit() -> str:
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def write_perf(perf_dir: Path, verify_ms: float, seed: int, run_id: str) -> Path:
    """A perf folder as a collect writes it: 10 runs of verify and encode (well within every budget)."""
    results = [
        MetricResult("core", "verify_ms", tuple(lognormal_runs(verify_ms, 0.1, 10, 40, seed))),
        MetricResult("core", "encode_1MB_ms", tuple(lognormal_runs(10.0, 0.1, 10, 40, seed + 1))),
    ]
    write_suite(perf_dir, "core", results, run_id)
    skipped = [MetricResult("graphql", "resolve_ms", None, "skipped: GRAPHQL_URL is not set")]
    write_suite(perf_dir, "graphql", skipped, run_id)
    return perf_dir


def green_main_store(tmp_path: Path, store: Path) -> None:
    """Five green main runs (CI artifacts with a passing verdict.json) at verify 0.7 ms, imported as main's and this
    machine's (an artifact names neither)."""
    folders = []
    for i in range(5):
        report = tmp_path / f"artifact-{i}"
        write_perf(report / "perf", 0.7, 100 + 7 * i, f"2026110{i + 1}T030000Z-main{i}")
        (report / "verdict.json").write_text(json.dumps({"passed": True}))
        folders.append(report)
    import_paths(store, folders, "main", machine=machine_fingerprint())


def one_e2e_run(reports: Path) -> None:
    log = EventLog(reports / "e2e" / "events.jsonl", "run-1")
    for step in ("preflight", "manifest", "ipfs_publish", "marketplace_publish", "resolve", "search"):
        log.emit(step, "ok", 2.5, name="demo/app/hello", cid="bafkreiabc", encoding='{"grids": 1}', hit=True)
    log.emit("run_end", "ok", 15.0, last_ok="search", name="demo/app/hello", cid="bafkreiabc")


def situation(tmp_path: Path, *, store: bool, file: bool, ab: bool) -> Path:
    """The current run at verify 1.0 ms; a store at 0.7 (it regressed from main); a baseline.json at 1.0 (it did
    not); an A/B of this very commit that found encode regressed."""
    reports = tmp_path / "reports"
    write_perf(reports / "perf", 1.0, 1, "20261201T030000Z-current")
    one_e2e_run(reports)
    if store:
        green_main_store(tmp_path, Path(str(tmp_path / "history.duckdb")))
    if file:
        same = load_perf_dir(write_perf(tmp_path / "base", 1.0, 50, "20261130T030000Z-base"))
        write_baseline(
            reports / "perf" / "baseline.json", baseline_document(same, {"branch": "main", "commit": "b" * 40})
        )
    if ab:
        regressed = DriftResult(status="regressed", ratio=1.31, ci_low=1.2, ci_high=1.43, mde_pct=6.0)
        head = {"ref": "working tree", "commit": head_commit(), "dirty": False}
        base = {"ref": "origin/main", "commit": "c" * 40}
        write_ab(reports / "perf", AbReport(base, head, 10, 10.0, {"core.encode_1MB_ms": regressed}))
    return reports


def outputs(reports: Path, env: dict[str, str]) -> dict[str, str]:
    """What each output says: PASS or FAIL."""
    summary = (reports / "summary.md").read_text()
    badge = json.loads((reports / "badge.json").read_text())["message"]
    slack = json.loads((reports / "notify" / "slack.json").read_text())["blocks"][0]["text"]["text"]
    teams = json.loads((reports / "notify" / "teams.json").read_text())
    comment = (reports / "comment.md").read_text()
    card_title = teams["attachments"][0]["content"]["body"][0]["text"]
    return {
        "summary": "PASS" if "✅ PASS" in summary else "FAIL" if "❌ FAIL" in summary else "?",
        "badge": {"passing": "PASS", "failing": "FAIL"}.get(badge, "?"),
        "slack": "PASS" if ": PASS" in slack else "FAIL" if ": FAIL" in slack else "?",
        "teams": "PASS" if ": PASS" in card_title else "FAIL" if ": FAIL" in card_title else "?",
        "comment": "PASS" if "✅ PASS" in comment else "FAIL" if "❌ FAIL" in comment else "?",
    }


@pytest.mark.parametrize(("store", "file", "ab"), list(itertools.product((True, False), repeat=3)))
def test_gate_summary_badge_and_payloads_agree(tmp_path: Path, store: bool, file: bool, ab: bool) -> None:
    reports = situation(tmp_path, store=store, file=file, ab=ab)
    env = {"HOLOGRAM_HISTORY": str(tmp_path / "history.duckdb")}
    gate = hologram(
        "verdict",
        "--perf-dir",
        str(reports / "perf"),
        "--events",
        str(reports / "e2e" / "events.jsonl"),
        "--json",
        str(reports / "verdict.json"),
        env=env,
    )
    assert gate.returncode in (0, 1), gate.stderr
    said = "PASS" if gate.returncode == 0 else "FAIL"
    expected = "FAIL" if store or ab else "PASS"  # the store regressed verify, the A/B encode; the file did not
    assert said == expected, gate.stdout
    done = hologram("ci-outputs", "--reports-dir", str(reports), "--dry-run", env=env)
    assert done.returncode == 0, done.stderr
    commented = hologram("comment", "--reports-dir", str(reports), "--dry-run", env=env)  # the PR comment
    assert commented.returncode == 0, commented.stderr
    assert outputs(reports, env) == dict.fromkeys(("summary", "badge", "slack", "teams", "comment"), said), gate.stdout
    source = json.loads((reports / "verdict.json").read_text())["baseline"]
    assert source["kind"] == ("history" if store else "file" if file else "none")
    summary = (reports / "summary.md").read_text()
    if store:
        assert "Baseline: the last 5 green main runs in" in summary and "(commits " in summary
    if not store and not file:
        assert "no significant drift" not in summary  # drift was never compared: no page may claim it
        assert "drift against a baseline not compared" in summary


def test_the_notebook_judges_drift_against_the_gates_baseline(
    tmp_path: Path, make_perf_dir: Callable[..., Path]
) -> None:
    """With no baseline.json, the drift page compares against the store, as the gate and the front page do (it used
    to say "no baseline found")."""
    from hologram_lib.layout import Reports
    from hologram_lib.verdict import explore

    reports = situation(tmp_path, store=True, file=False, ab=False)
    env = {"HOLOGRAM_HISTORY": str(tmp_path / "history.duckdb")}
    gate = hologram("verdict", "--perf-dir", str(reports / "perf"), "--json", str(reports / "verdict.json"), env=env)
    assert gate.returncode == 1
    judged = explore(Reports(reports), reports / "perf")
    assert judged.drift is not None and judged.source.kind == "history" and judged.passed is False
    assert [d.metric for d in judged.drift.drifts if d.blocks] == ["core.verify_ms"]
