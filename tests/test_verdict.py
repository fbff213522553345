"""`hologram verdict` (= `make gate`): budgets + drift + the latest E2E run, one exit code."""

from __future__ import annotations

import json
from pathlib import Path

from hologram_lib.e2e.events import EventLog
from tests.helpers import verdict


def test_regression_fails_and_threshold_can_clear_it(report_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "verdict.json"
    done = verdict(report_dir, "--json", str(out))
    assert done.returncode == 1 and "core.verify_ms regressed" in done.stdout
    assert json.loads(out.read_text())["passed"] is False
    assert verdict(report_dir, "--threshold-pct", "60").returncode == 0


def test_failed_e2e_run_fails(report_dir: Path) -> None:
    log = EventLog(report_dir / "e2e" / "events.jsonl", "run-2")
    log.emit("preflight", "fail", 1.0, error="IPFS version unreachable (ConnectionError)")
    log.emit("run_end", "fail", 1.0, last_ok=None, failed_step="preflight", error="IPFS version unreachable")
    done = verdict(report_dir, "--threshold-pct", "60")
    assert done.returncode == 1 and "E2E run run-2 failed at preflight" in done.stdout


def test_missing_baseline_is_a_note_unless_required(report_dir: Path) -> None:
    (report_dir / "perf" / "baseline.json").unlink()
    done = verdict(report_dir)
    assert done.returncode == 0 and "note: no baseline" in done.stdout
    required = verdict(report_dir, "--require-baseline")
    assert required.returncode == 2 and "no baseline found" in required.stderr


def test_missing_e2e_is_allowed_on_pr_but_fails_on_main(report_dir: Path) -> None:
    (report_dir / "e2e" / "events.jsonl").unlink()
    (report_dir / "perf" / "baseline.json").unlink()
    assert verdict(report_dir, "--profile", "pr").returncode == 0
    main = verdict(report_dir, "--profile", "main", env={"SLO_GQL_P95_MS": "100"})
    assert main.returncode == 1 and "no E2E events" in main.stdout
