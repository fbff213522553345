"""One verdict, everywhere the same (issue 20): the gate, the job summary, the badge and the Slack / Teams payloads
come from the one judge, so they agree — for every combination of history store, baseline.json and A/B.

The situation of the issue: the history store holds green main runs that the current run regressed from, while the
baseline.json beside it says nothing changed. Before, `make gate` judged against the store (FAIL) while `summary`
and `notify` judged against the file (PASS) and the badge said "unknown".
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import hologram, situation


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
