"""`hologram e2e summary` / `python scripts/summarize_e2e.py`: triage view of events.jsonl."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from hologram_lib.e2e.events import STEPS, EventLog
from tests.helpers import ROOT, hologram, run_command


def write_run(path: Path, run_id: str, fail_at: str | None = None, cid: str = "bafkreiaaa") -> None:
    log = EventLog(path, run_id)
    last_ok = None
    for step in STEPS:
        if step == fail_at:
            log.emit(step, "fail", 3.0, error="GraphQL error: boom")
            log.emit("run_end", "fail", 10.0, last_ok=last_ok, failed_step=step, error="GraphQL error: boom")
            return
        fields = (
            {"name": f"demo/app/hello-{run_id}", "cid": cid}
            if step in ("ipfs_publish", "marketplace_publish", "resolve")
            else {}
        )
        log.emit(step, "ok", 1.0, **fields)
        last_ok = step
    log.emit("run_end", "ok", 12.0, last_ok=last_ok)


def test_summary_of_a_good_then_a_failed_run(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    write_run(events, "r1", cid="bafkreigood")
    write_run(events, "r2", fail_at="resolve")
    out = tmp_path / "summary.json"
    done = hologram("e2e", "summary", "--events", str(events), "--json", str(out))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "latest run r2 FAIL, stopped at resolve (last ok: install)" in done.stdout
    summary = json.loads(out.read_text())
    assert summary["latest_deployment"]["name"] == "demo/app/hello-r1"
    assert summary["latest_deployment"]["cid"] == "bafkreigood"
    assert summary["success_rate"]["resolve"] == {"ok": 1, "runs": 2, "rate": 0.5}
    assert summary["success_rate"]["marketplace_publish"]["rate"] == 1.0
    assert summary["counts"]["run_end"] == {"ok": 1, "fail": 1}
    assert summary["last_events"]["run_end"]["run_id"] == "r2"
    assert [t["run_id"] for t in summary["cid_trail"]] == ["r1", "r1", "r1", "r2", "r2"]
    write_run(events, "r3")
    assert hologram("e2e", "summary", "--events", str(events)).returncode == 0


def test_corrupt_lines_are_reported_and_skipped(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    write_run(events, "r1")
    with events.open("a") as handle:
        handle.write('{"ts": "2026-11-27T04:19:12.345Z", "event": "resol\n')  # a torn line
        handle.write("[1, 2, 3]\n")
    write_run(events, "r2")
    done = hologram("e2e", "summary", "--events", str(events))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{events}:14: expected one JSON object per line; line skipped" in done.stdout
    assert f'{events}:15: expected an object with an "event" name; line skipped' in done.stdout
    assert "latest run r2 PASS" in done.stdout


def test_a_run_without_run_end_counts_as_failed(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    log = EventLog(events, "r1")
    log.emit("preflight", "ok", 1.0)
    done = hologram("e2e", "summary", "--events", str(events))
    assert done.returncode == 1 and "(no run_end)" in done.stdout


def test_unreadable_log_is_exit_2(tmp_path: Path) -> None:
    missing = hologram("e2e", "summary", "--events", str(tmp_path / "none.jsonl"))
    assert missing.returncode == 2 and "no events" in missing.stderr and "hologram e2e probe" in missing.stderr
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("not json\n")
    done = hologram("e2e", "summary", "--events", str(garbage))
    assert done.returncode == 2 and "no readable events" in done.stderr


def test_seed_script_reads_the_default_log(tmp_path: Path) -> None:
    write_run(tmp_path / "reports" / "e2e" / "events.jsonl", "r1")
    done = run_command([sys.executable, str(ROOT / "scripts" / "summarize_e2e.py")], cwd=tmp_path)
    assert done.returncode == 0 and "latest run r1 PASS" in done.stdout
