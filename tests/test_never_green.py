"""Never green on what could not be read: torn or missing samples, unreadable events, a stack that did not start,
a report that died late, outside text rendered as HTML, an empty token file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import hologram, lognormal_runs


@pytest.fixture
def core_perf(make_perf_dir: Callable[..., Path]) -> Path:
    return make_perf_dir(
        {
            "core.verify_ms": lognormal_runs(1.0, 0.1, 5, 40, 1),
            "core.encode_1MB_ms": lognormal_runs(10.0, 0.1, 5, 40, 2),
            "graphql.resolve_ms": "skipped: GRAPHQL_URL is not set",
        }
    )


def gate(perf_dir: Path) -> object:
    return hologram("gate", "--perf-dir", str(perf_dir), "--profile", "default")


def test_healthy_core_passes(core_perf: Path) -> None:
    assert gate(core_perf).returncode == 0  # the control for every case below


def test_a_samples_file_cut_mid_line_is_refused(core_perf: Path) -> None:
    samples = core_perf / "samples" / "core.csv"
    text = samples.read_text()
    samples.write_text(text[: text.rindex("\n", 0, len(text) - 1) + 4])  # "core,v" … a torn last line
    done = gate(core_perf)
    assert done.returncode == 2 and "cut short: the last line has no line end" in done.stderr
    assert str(samples) in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("damage", ["deleted", "header only", "rows lost"])
def test_samples_that_disagree_with_their_summary_fail_the_gate(core_perf: Path, damage: str) -> None:
    samples = core_perf / "samples" / "core.csv"
    lines = samples.read_text().splitlines(keepends=True)
    if damage == "deleted":
        samples.unlink()
    elif damage == "header only":
        samples.write_text(lines[0])
    else:  # 10 samples of the last run gone: the summary still says n=200
        samples.write_text("".join(lines[:-10]))
    done = gate(core_perf)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "MISSING" in done.stdout and "says n=200" in done.stdout


def test_a_huge_csv_field_is_a_located_error(core_perf: Path) -> None:
    summary = core_perf / "core_perf.csv"
    summary.write_text(summary.read_text() + 'core,x,"' + "9" * 200_000 + '",1,1,1,1,,1,,,r\n')
    done = gate(core_perf)
    assert done.returncode == 2 and str(summary) in done.stderr and "expected CSV fields" in done.stderr


def passing_run_lines() -> list[str]:
    records = [
        {"ts": "2026-11-27T04:19:12.345Z", "run_id": "r1", "suite": "phase8", "event": e, "status": "ok"}
        for e in ("preflight", "ipfs_publish", "marketplace_publish", "resolve", "search")
    ]
    end = {"ts": "2026-11-27T04:19:13.000Z", "run_id": "r1", "suite": "phase8", "event": "run_end", "status": "ok"}
    return [json.dumps(r) for r in [*records, {**end, "last_ok": "search"}]]


def verdict(core_perf: Path, events: Path, profile: str = "default") -> object:
    return hologram(
        "verdict", "--perf-dir", str(core_perf), "--events", str(events), "--profile", profile,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("garbage\nmore garbage\n", "holds no readable run"),
        ("", "holds no readable run"),
        ('{"event": "run_end", "status": ["ok"], "ts": "x", "run_id": "r"}\n', "holds no readable run"),
        ('{"event": "run_end", "status": "ok", "run_id": "r"}\n', "holds no readable run"),
        (None, "could not be read"),  # a directory where the log should be
    ],
)
def test_an_unreadable_events_log_fails_in_every_profile(
    core_perf: Path, tmp_path: Path, content: str | None, expected: str
) -> None:
    events = tmp_path / "events.jsonl"
    if content is None:
        events.mkdir()
    else:
        events.write_text(content)
    for profile in ("pr", "default", "main"):
        done = verdict(core_perf, events, profile)
        assert done.returncode == 1, done.stdout + done.stderr
        assert expected in done.stdout and "Traceback" not in done.stderr


def test_a_corrupt_line_after_a_passing_run_is_named(core_perf: Path, tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join([*passing_run_lines(), '{"torn": ']) + "\n")
    done = verdict(core_perf, events)
    assert done.returncode == 0, done.stdout
    assert f"{events}:7: expected one JSON object per line; line skipped" in done.stdout
    absent = verdict(core_perf, tmp_path / "absent.jsonl")
    assert absent.returncode == 0 and "no E2E events" in absent.stdout  # absent: allowed by the default profile
    assert verdict(core_perf, tmp_path / "absent.jsonl", "main").returncode == 1


@pytest.mark.parametrize("content", ["", "  \n"])
def test_a_blank_token_file_gets_a_new_token_never_open_mutations(tmp_path: Path, content: str) -> None:
    from hologram_lib.devstack.stack import read_token

    token_file = tmp_path / "token"
    token_file.write_text(content)
    token = read_token(tmp_path)
    assert len(token) >= 32 and token_file.read_text() == token
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert read_token(tmp_path) == token  # stable once written
    assert [p.name for p in tmp_path.iterdir()] == ["token"]  # no temp file left behind


@pytest.mark.stack
def test_the_marketplace_refuses_a_blank_token(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "hologram_lib.devstack.server", "--db", str(tmp_path / "m.sqlite"), "--ipfs-api",
         "http://127.0.0.1:9"],
        env={"HOLOGRAM_MARKETPLACE_TOKEN": " ", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "set but blank" in done.stderr


@pytest.mark.notebook
def test_one_report_at_a_time_and_no_lock_files_in_the_artifact(report_dir: Path) -> None:
    from hologram_lib.locks import locked

    (report_dir / "index.html").write_text("earlier report")
    with locked(report_dir):
        done = hologram("report", "--no-collect", "--reports-dir", str(report_dir))
    assert done.returncode == 2 and "another report is running on this folder" in done.stderr
    assert (report_dir / "index.html").read_text() == "earlier report"  # the running report's page is not touched
    assert hologram("report", "--no-collect", "--reports-dir", str(report_dir)).returncode == 0
    assert not list(report_dir.rglob("*.lock"))


@pytest.mark.notebook
def test_kernel_dirs_of_a_killed_report_are_cleared_at_the_next_start(report_dir: Path) -> None:
    import subprocess
    import tempfile

    gone = subprocess.Popen(["true"])
    gone.wait()  # a pid that no longer runs
    stale = Path(tempfile.gettempdir()) / f"hologram-kernels-{gone.pid}"
    (stale / "tmpabc").mkdir(parents=True, exist_ok=True)
    assert hologram("report", "--no-collect", "--reports-dir", str(report_dir)).returncode == 0
    assert not stale.exists()
