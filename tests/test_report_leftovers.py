"""A report is about its own run (issue 20): the previous report's CI outputs (summary, badge, Slack / Teams payloads)
are removed at its start, and a collecting report starts from an empty E2E sample file (each probe appends to it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hologram_lib.e2e.probe import ProbeResult, record_latencies
from hologram_lib.layout import Reports
from hologram_lib.perf.files import load_perf_dir
from hologram_lib.pipeline import clear_previous_outputs
from tests.helpers import hologram


def _previous_outputs(reports: Reports) -> list[Path]:
    stale = [reports.summary, reports.badge_svg, reports.badge_json, reports.notification("slack")]
    stale.append(reports.notification("teams"))
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("from the previous report: PASS")
    return stale


@pytest.mark.notebook
def test_a_report_removes_the_previous_reports_ci_outputs(report_dir: Path) -> None:
    reports = Reports(report_dir)
    stale = _previous_outputs(reports)
    done = hologram("report", "--no-collect", "--reports-dir", str(report_dir))
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert [p for p in stale if p.exists()] == []
    assert reports.verdict.exists() and reports.index.exists()  # its own outputs are there


def _probe(run_id: str, ms: float) -> ProbeResult:
    return ProbeResult(run_id=run_id, status="ok", step_ms={"publish": ms, "search": ms})


def test_a_collecting_report_starts_from_an_empty_e2e_sample_file(tmp_path: Path) -> None:
    reports = Reports(tmp_path / "reports")
    record_latencies(reports.perf.root, _probe("earlier-report", 900.0))
    record_latencies(reports.perf.root, _probe("another-earlier", 800.0))
    assert load_perf_dir(reports.perf.root)["e2e.publish_ms"].run_count == 2
    removed = clear_previous_outputs(reports.root, collect=True)
    assert reports.perf.samples("e2e") in removed and not reports.perf.samples("e2e").exists()
    record_latencies(reports.perf.root, _probe("this-report", 12.0))
    publish = load_perf_dir(reports.perf.root)["e2e.publish_ms"]
    assert publish.run_count == 1 and publish.p95_ms == 12.0  # this run's probe only
    assert clear_previous_outputs(reports.root, collect=False) == []  # a re-render keeps its own data
