"""The CI outputs of a report: the job summary, the badge, the cold / warm table, the redactor and the dry run —
run as CI and the seed's runbook run them (`python scripts/…` from a project root, only the seed's variables)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from hologram_lib import outside
from hologram_lib.ci import summary
from hologram_lib.e2e.events import EventLog
from tests.helpers import ROOT, VERDICT_ENV, counted_regression, head_commit, hologram, lognormal_runs, run_command

GITHUB = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/hologram", "GITHUB_RUN_ID": "4242"}
RUN_URL = "https://github.com/acme/hologram/actions/runs/4242"


def project_with(reports: Path) -> Path:
    """A folder laid out like the project root (reports/ and scripts/), where the seed's commands run verbatim."""
    root = reports.parent
    (root / "scripts").symlink_to(ROOT / "scripts")
    return root


def seed(command: str, root: Path, env: dict[str, str] | None = None, stdin: str | None = None):
    """A runbook line (`python scripts/…`) run verbatim in `root`, with the verdict variables cleared first."""
    full = {k: v for k, v in os.environ.items() if k not in VERDICT_ENV} | (env or {})
    return subprocess.run(
        [sys.executable, *command.split()[1:]],
        cwd=root,
        env=full,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_ci_summary_verbatim_tells_the_verdict_why_p95s_drift_e2e_links_and_noise(report_dir: Path) -> None:
    done = seed("python scripts/ci_summary.py", project_with(report_dir), GITHUB)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("## Hologram Pipeline: ❌ FAIL (profile `default`)")
    assert "**Why it failed:**\n- core.verify_ms regressed" in text
    table = text.split("### p95 against the budgets (worst first)")[1].split("###")[0]
    rows = [line for line in table.splitlines() if line.startswith("| core") or line.startswith("| graphql")]
    assert [r.split("|")[1].strip() for r in rows] == ["core.encode_1MB_ms", "core.verify_ms", "graphql.resolve_ms"]
    assert all(" – " in r.split("|")[4] for r in rows[:2])  # the interval beside every measured p95
    assert "Baseline: " in text and "branch main" in text
    interval = r"×[\d.]+ \[[\d.]+–[\d.]+\]"
    drift_row = (
        rf"\| core.verify_ms \| \*\*regressed\*\* \| [\d.]+ \| [\d.]+ \| {interval} \| {interval} \| \d+ % / \d+ % \|"
    )
    assert re.search(drift_row, text), text
    assert "Latest run run-1 passed." in text  # outside text is never put in a code span (it could close it)
    assert "Steps: preflight ok 2.500 ms → manifest ok 2.500 ms → ipfs_publish ok 2.500 ms" in text
    assert "Latest successful deployment: demo/app/hello-x → bafkreiabc" in text
    assert "**Noise:** not measured on this runner" in text
    assert f"[hologram-report]({RUN_URL}#artifacts)" in text and f"[this run]({RUN_URL})" in text


def test_worst_budget_first(tmp_path: Path, make_perf_dir: Callable[..., Path]) -> None:
    make_perf_dir(
        {
            "core.verify_ms": lognormal_runs(1.0, 0.1, 10, 40, 1),
            "core.encode_1MB_ms": lognormal_runs(90.0, 0.1, 10, 40, 2),  # near its 100 ms budget
        },
        name="reports/perf",
    )
    done = hologram("summary", "--reports-dir", str(tmp_path / "reports"), env={"SLO_VERIFY_P95_MS": "0.5"})
    rows = [line.split("|")[1].strip() for line in done.stdout.splitlines() if line.startswith("| core")]
    assert rows == ["core.verify_ms", "core.encode_1MB_ms"], done.stdout  # failing, then the closest to its budget
    assert "| core.verify_ms | **fail** |" in done.stdout


def test_summary_appends_to_the_step_summary_file(report_dir: Path, tmp_path: Path) -> None:
    step = tmp_path / "step_summary.md"
    step.write_text("earlier step\n")
    done = hologram("summary", "--reports-dir", str(report_dir), env={**GITHUB, "GITHUB_STEP_SUMMARY": str(step)})
    assert done.returncode == 0 and done.stdout == ""
    text = step.read_text()
    assert text.startswith("earlier step\n## Hologram Pipeline: ❌ FAIL") and len(text.encode()) <= summary.LIMIT_BYTES


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"GITHUB_RUN_ID": "42; rm -rf /"}, "GITHUB_RUN_ID='42; rm -rf /' is malformed"),
        ({"GITHUB_REPOSITORY": "no-slash"}, "GITHUB_REPOSITORY='no-slash' is malformed"),
        ({"GITHUB_SERVER_URL": "javascript:alert(1)"}, "GITHUB_SERVER_URL='javascript:alert(1)' is malformed"),
        ({"GITHUB_RUN_ID": ""}, "GITHUB_RUN_ID is not set"),
        ({"GITHUB_SERVER_URL": "https://user:hunter2pass@ghe.example"}, "GITHUB_SERVER_URL='https://[REDACTED]@"),
    ],
)
def test_missing_or_malformed_github_variables_leave_a_note_not_a_link(
    report_dir: Path, env: dict[str, str], named: str
) -> None:
    done = hologram("summary", "--reports-dir", str(report_dir), env={**GITHUB, **env})
    assert done.returncode == 0, done.stderr
    assert named in done.stdout and "links to the run's artifacts left out" in done.stdout
    assert "](http" not in done.stdout and "hunter2pass" not in done.stdout


def test_a_corrupt_input_is_named_in_the_summary_and_exits_2(report_dir: Path) -> None:
    (report_dir / "perf" / "baseline.json").write_text("{not json")
    done = hologram("summary", "--reports-dir", str(report_dir), env=GITHUB)
    assert done.returncode == 2
    assert "## Hologram Pipeline: ⚠️ could not judge" in done.stdout and "baseline.json" in done.stdout
    assert done.stderr.count("\n") == 1 and "baseline.json" in done.stderr and "Traceback" not in done.stderr
    assert f"[hologram-report]({RUN_URL}#artifacts)" in done.stdout  # the artifacts are still where to look


def test_ci_summary_without_a_report_says_so_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    done = seed("python scripts/ci_summary.py", project_with(tmp_path / "reports"))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "hologram: error: nothing to summarize in reports: no perf data, E2E events or verdict.json (run `make "
        "report` first, or give --reports-dir)"
    ]


def test_the_summary_stays_within_githubs_1_mib() -> None:
    rows = [[f"m{i}", "pass"] for i in range(summary.MAX_ROWS + 7)]
    table = summary.table(("metric", "verdict"), rows, "metrics")
    assert len(table) == 2 + summary.MAX_ROWS + 1 and "7 more metrics in the report" in table[-1]
    huge = "## x\n" + "é" * (2 * summary.LIMIT_BYTES)
    bounded = summary.bounded(huge)
    assert len(bounded.encode("utf-8")) <= summary.LIMIT_BYTES and bounded.endswith(
        "whole story is in the report artifact._\n"
    )
    assert summary.bounded("short\n") == "short\n"


def badge(reports: Path) -> tuple[int, dict, ET.Element]:
    done = hologram("badge", "--reports-dir", str(reports))
    endpoint = json.loads((reports / "badge.json").read_text())
    return done.returncode, endpoint, ET.fromstring((reports / "badge.svg").read_text())


def test_badge_green_only_when_the_gate_and_the_latest_e2e_passed(report_dir: Path) -> None:
    (report_dir / "perf" / "baseline.json").unlink()  # no drift to fail on: the gate passes
    code, endpoint, svg = badge(report_dir)
    assert code == 0
    assert endpoint == {"schemaVersion": 1, "label": "hologram gate", "message": "passing", "color": "brightgreen"}
    assert svg.tag == "{http://www.w3.org/2000/svg}svg" and "#4c1" in ET.tostring(svg, encoding="unicode")
    text = ET.tostring(svg, encoding="unicode")
    assert "href" not in text and "<image" not in text and "passing" in text  # self-contained


def test_badge_red_when_the_gate_or_the_e2e_run_failed(report_dir: Path) -> None:
    assert badge(report_dir)[1]["message"] == "failing"  # the fixture's drift fails the gate
    (report_dir / "perf" / "baseline.json").unlink()
    EventLog(report_dir / "e2e" / "events.jsonl", "run-2").emit(
        "run_end", "fail", 1.0, last_ok="preflight", failed_step="ipfs_publish", error="refused"
    )
    code, endpoint, _ = badge(report_dir)
    assert code == 0 and endpoint["message"] == "failing" and endpoint["color"] == "red"


def test_badge_grey_when_unknown(report_dir: Path) -> None:
    (report_dir / "perf" / "baseline.json").unlink()
    (report_dir / "e2e" / "events.jsonl").unlink()  # the default profile allows it: the gate passes, E2E unknown
    assert badge(report_dir)[1]["message"] == "unknown"
    (report_dir / "perf" / "samples" / "core.csv").write_text("suite,metric,sample_ms\ncore,verify_ms,fast\n")
    code, endpoint, _ = badge(report_dir)
    assert code == 2 and endpoint["color"] == "lightgrey"


def test_json_nested_deeper_than_the_parser_is_a_note_not_a_traceback(report_dir: Path) -> None:
    (report_dir / "verdict.json").write_text("[" * 100_000)
    with (report_dir / "e2e" / "events.jsonl").open("a") as log:
        log.write("[" * 100_000 + "\n")
    done = hologram("summary", "--reports-dir", str(report_dir))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "events.jsonl:8: expected one JSON object per line" in done.stdout


def test_an_unwritable_step_summary_is_one_line_exit_2(report_dir: Path, tmp_path: Path) -> None:
    step = tmp_path / "no-such-dir" / "step_summary.md"
    done = hologram("summary", "--reports-dir", str(report_dir), env={**GITHUB, "GITHUB_STEP_SUMMARY": str(step)})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and f"{step}: GITHUB_STEP_SUMMARY: cannot append the job summary" in done.stderr
    assert (report_dir / "summary.md").read_text().startswith("## Hologram Pipeline")


def test_cache_profiler_verbatim_prints_the_cold_warm_ratios(tmp_path: Path, make_perf_dir) -> None:
    make_perf_dir({"core.verify_ms": lognormal_runs(1.0, 0.1, 5, 40, 1)}, name="reports/perf")
    make_perf_dir({"core.verify_ms": lognormal_runs(3.0, 0.1, 5, 40, 2)}, name="reports/perf/cold")
    done = seed("python scripts/cache_profiler.py", project_with(tmp_path / "reports"))
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("core.verify_ms"))
    ratio = float(row.split()[-1].rstrip("×"))
    assert 2.4 < ratio < 3.6  # cold runs were drawn at 3× the warm median
    profiles = json.loads((tmp_path / "reports" / "perf" / "cache_profiles.json").read_text())
    assert profiles["core.verify_ms"]["ratio"] == pytest.approx(ratio, abs=0.001)


def test_cache_profiler_without_cold_runs_or_with_a_corrupt_file_exits_2(tmp_path: Path) -> None:
    perf = tmp_path / "reports" / "perf"
    perf.mkdir(parents=True)
    root = project_with(tmp_path / "reports")
    done = seed("python scripts/cache_profiler.py", root)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "no cold / warm profiles" in done.stderr and "COLD=1 hologram perf collect" in done.stderr
    (perf / "cache_profiles.json").write_text('{"core.verify_ms": {"ratio": "fast"}}')
    done = seed("python scripts/cache_profiler.py", root)
    assert done.returncode == 2 and "cache_profiles.json: expected metric →" in done.stderr
    (perf / "cache_profiles.json").write_text("[" * 100_000)
    done = seed("python scripts/cache_profiler.py", root)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "cache_profiles.json: expected JSON" in done.stderr


def test_secrets_redactor_filters_stdin_and_checks_files(tmp_path: Path) -> None:
    root = tmp_path
    (root / "scripts").symlink_to(ROOT / "scripts")
    done = seed("python scripts/secrets_redactor.py", root, stdin="Authorization: Bearer abc.def.ghi\nplain\n")
    assert done.returncode == 0 and done.stdout == "Authorization: Bearer [REDACTED]\nplain\n"
    clean, leaky = root / "clean.txt", root / "leaky.env"
    clean.write_text("nothing to see\n")
    leaky.write_text("A=1\nAPI_KEY=sk-live-0123456789\n")
    done = seed(f"python scripts/secrets_redactor.py --check {clean} {leaky}", root)
    assert done.returncode == 1 and done.stdout.strip() == f"{leaky}:2: a secret-shaped value (redact it or remove it)"
    assert "sk-live" not in done.stdout + done.stderr
    assert seed(f"python scripts/secrets_redactor.py --check {clean}", root).returncode == 0
    missing = seed(f"python scripts/secrets_redactor.py --check {root / 'nope'}", root)
    assert missing.returncode == 2 and "nope: cannot read" in missing.stderr


def test_dry_run_makes_every_ci_output_locally(report_dir: Path, make_perf_dir) -> None:
    from hologram_lib.perf.profiles import write_cache_profiles

    make_perf_dir({"core.verify_ms": lognormal_runs(3.0, 0.1, 5, 40, 2)}, name="reports/perf/cold")
    write_cache_profiles(report_dir / "perf")  # as the cold and the warm collect leave it (CI outputs only read it)
    env = {**GITHUB, "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/sekritsekrit"}
    done = seed("python scripts/ci_outputs.py --dry-run", project_with(report_dir), env)
    assert done.returncode == 0, done.stderr
    for name in (
        "summary.md",
        "badge.svg",
        "badge.json",
        "perf/cache_profiles.json",
        "notify/slack.json",
        "notify/teams.json",
    ):
        assert (report_dir / name).stat().st_size > 0, name
    assert "### Cold vs warm" in (report_dir / "summary.md").read_text()
    assert "notify slack: dry run: nothing posted (SLACK_WEBHOOK_URL is set)" in done.stdout
    assert "notify teams: dry run: nothing posted (TEAMS_WEBHOOK_URL is not set)" in done.stdout
    assert "sekrit" not in done.stdout + (report_dir / "notify" / "slack.json").read_text()
    assert run_command(["git", "check-ignore", "-q", "reports/summary.md"]).returncode == 0  # never committed


def test_the_summary_names_the_paired_a_b_it_judged_drift_from(report_dir: Path) -> None:
    from hologram_lib.drift import DriftResult
    from hologram_lib.experiments.ab import AbReport, write_ab

    base = {"ref": "3f2a9c1d0e4b", "commit": "3f2a9c1d0e4b" * 3}
    regressed = DriftResult(status="regressed", ratio=1.31, ci_low=1.2, ci_high=1.43, mde_pct=6.0)
    write_ab(
        report_dir / "perf",
        AbReport(base, {"ref": "working tree", "commit": head_commit()}, 10, 10.0, {"core.verify_ms": regressed}),
    )
    (report_dir / "perf" / "baseline_source.txt").write_text(
        "the perf-baseline artifact of run 77 (the newest successful push to main)\n"
    )
    done = hologram("summary", "--reports-dir", str(report_dir))
    assert done.returncode == 0, done.stderr
    assert "core.verify_ms regressed in the paired A/B vs 3f2a9c1d0e4b" in done.stdout
    assert "Judged by a **paired A/B** against 3f2a9c1d0e4b (10 interleaved runs per side)" in done.stdout
    assert "| core.verify_ms | regressed | ×1.310 [1.200–1.430] | 6 % |" in done.stdout
    baseline_line = next(line for line in done.stdout.splitlines() if line.startswith("Baseline: "))
    assert baseline_line.startswith(
        f"Baseline: baseline.json {report_dir / 'perf' / 'baseline.json'} (branch main &#64; "
    )  # '@' as a reference: no mention
    assert "(fetched: the perf-baseline artifact of run 77 (the newest successful push to main))" in baseline_line


def test_the_noise_line_comes_from_a_real_calibration(report_dir: Path) -> None:
    calibrated = hologram(
        "calibrate", "--runs", "3", "--suite", "core", "--samples", "40", "--perf-dir", str(report_dir / "perf")
    )
    assert calibrated.returncode == 0, calibrated.stderr
    done = hologram("summary", "--reports-dir", str(report_dir))
    line = next(x for x in done.stdout.splitlines() if x.startswith("**Noise:**"))
    assert line.startswith("**Noise:** A/A ") and "(3 interleaved runs per group); the p95 of core." in line


def test_a_counted_regression_and_a_bisection_are_named_in_every_output(report_dir: Path) -> None:
    from hologram_lib.layout import Reports
    from hologram_lib.report.index import write_index
    from hologram_lib.verdict import judge_report

    key = counted_regression(report_dir)
    bisected = {"answer": {"message": "first bad commit 1a2b3c4d5e6f (encode: extra work)"}, "measured_commits": 5}
    (report_dir / "perf" / "bisect.json").write_text(json.dumps(bisected))  # as the nightly's bisect step leaves it
    done = hologram("summary", "--reports-dir", str(report_dir))
    assert done.returncode == 0, done.stderr
    assert f"Where {key} went" in done.stdout and "| PyObject_Vectorcall | 1,000 → 1,600 | +600 | 43 % |" in done.stdout
    page = write_index(report_dir / "index.html", judge_report(Reports(report_dir)), {}, [], [], None).read_text()
    assert 'id="moved-functions"' in page and f"Where {key} went" in page and "PyObject_Vectorcall" in page
    for channel in ("slack", "teams"):
        sent = hologram("notify", channel, "--reports-dir", str(report_dir), "--dry-run")
        assert sent.returncode == 0, sent.stderr
        payload = json.dumps(json.loads((report_dir / "notify" / f"{channel}.json").read_text()), ensure_ascii=False)
        escape = {"slack": outside.slack, "teams": outside.teams}[channel]  # each channel's own escaping
        assert json.dumps(escape(f"where {key} went: PyObject_Vectorcall +43 %"))[1:-1] in payload, channel
        assert json.dumps(escape("bisect: first bad commit 1a2b3c4d5e6f (encode: extra work)"))[1:-1] in payload
    # The names are the measured target's symbols: outside text, inert in every output.
    assert "](javascript" not in done.stdout  # no Markdown link (in HTML and Slack's mrkdwn the brackets are text)
    for output in (done.stdout, page, (report_dir / "notify" / "slack.json").read_text()):
        assert "<img" not in output and "<!channel>" not in output, output
