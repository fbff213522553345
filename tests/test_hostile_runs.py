"""Hostile inputs around runs, A/B and calibration files: exit 2 with one line, or a defined verdict — never a
traceback, never a green light on data that could not be read."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import ROOT, hologram, lognormal_runs, worktrees

CORE = {"graphql.resolve_ms": "skipped: GRAPHQL_URL is not set"}


@pytest.fixture
def runs_dir(make_perf_dir: Callable[..., Path]) -> Path:
    return make_perf_dir(
        {
            **CORE,
            "core.verify_ms": lognormal_runs(1.0, 0.1, 5, 40, 1),
            "core.encode_1MB_ms": lognormal_runs(10.0, 0.1, 5, 40, 2),
        }
    )


def one_line_exit_2(done: subprocess.CompletedProcess, *expected: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert all(text in done.stderr for text in expected), done.stderr


def test_a_run_number_with_a_leading_zero_is_refused_by_both_readers(tmp_path: Path) -> None:
    rows = "".join(f"core,verify_ms,{run},{v}\n" for run, v in (("01", 500), ("1", 0.3), ("2", 0.3), ("3", 0.3)))
    for quote in ("", '"'):
        samples = tmp_path / quote.replace('"', "q") / "perf" / "samples" / "core.csv"
        samples.parent.mkdir(parents=True)
        samples.write_text("suite,metric,run,sample_ms\n" + rows.replace("core,", f"{quote}core{quote},"))
        one_line_exit_2(hologram("gate", "--perf-dir", str(samples.parents[1])), "run: expected a positive whole")


@pytest.mark.parametrize(
    "document",
    [
        [],
        None,
        {"kind": "hologram-ab/1", "metrics": {"core.x": {"status": "REGRESSED"}}, "base": {"ref": "x"}},
        {"kind": "hologram-ab/1", "metrics": {}, "base": {"ref": "x"}, "runs_per_side": 10, "passed": True},
        {"kind": "hologram-ab/1", "metrics": {"core.x": {"status": "unchanged"}}, "base": {}, "runs_per_side": 10},
        {
            "kind": "hologram-ab/1",
            "metrics": {"core.x": {"status": "unchanged"}},
            "base": {"ref": "x"},
            "runs_per_side": 10,
            "passed": False,
        },
    ],
)
def test_an_ab_file_the_gate_cannot_interpret_is_exit_2(runs_dir: Path, tmp_path: Path, document: object) -> None:
    ab = tmp_path / "ab.json"
    ab.write_text(json.dumps(document))
    done = hologram("verdict", "--perf-dir", str(runs_dir), "--ab", str(ab))
    one_line_exit_2(done, str(ab))


def test_an_ab_file_named_but_absent_is_exit_2(runs_dir: Path, tmp_path: Path) -> None:
    done = hologram("verdict", "--perf-dir", str(runs_dir), "--ab", str(tmp_path / "absent.json"))
    one_line_exit_2(done, "absent.json", "named by --ab")


def calibrated(runs_dir: Path) -> Path:
    done = hologram("calibrate", "--runs", "3", "--samples", "20", "--suite", "core", "--perf-dir", str(runs_dir))
    assert done.returncode == 0, done.stderr
    return runs_dir / "noise.json"


@pytest.mark.parametrize("value", [-5, True, "x", 1e308, None])
def test_a_noise_file_cannot_lower_the_session_term_or_crash(runs_dir: Path, tmp_path: Path, value: object) -> None:
    noise = calibrated(runs_dir)
    document = json.loads(noise.read_text())
    for entry in document["metrics"].values():
        entry["session_sd_log_median"] = value
    noise.write_text(json.dumps(document))
    baseline = tmp_path / "b.json"
    assert (
        hologram("baseline", "promote", "--force", "--perf-dir", str(runs_dir), "--baseline", str(baseline)).returncode
        == 0
    )
    done = hologram("baseline", "compare", "--perf-dir", str(runs_dir), "--baseline", str(baseline))
    one_line_exit_2(done, str(noise), "session sd")


def test_a_zero_session_term_is_raised_to_the_default(runs_dir: Path) -> None:
    from hologram_lib import stats
    from hologram_lib.paired_documents import read_noise

    noise = calibrated(runs_dir)
    document = json.loads(noise.read_text())
    for entry in document["metrics"].values():
        entry["session_sd_log_median"] = 0
    noise.write_text(json.dumps(document))
    read = read_noise(runs_dir)
    assert read is not None
    assert all(m["session_sd_log_median"] == stats.DEFAULT_SESSION_SD for m in read.metrics.values())


def baseline_of(tmp_path: Path, runs: list[list[float]], name: str = "b.json") -> Path:
    pooled = np.sort(np.concatenate([np.asarray(r, dtype=float) for r in runs]))
    from hologram_lib import stats

    entry = {"p95_ms": round(stats.quantile(pooled), 6), "n": len(pooled), "runs": runs}
    path = tmp_path / name
    path.write_text(json.dumps({"schema": "hologram-baseline/3", "metrics": {"core.verify_ms": entry}}))
    return path


def test_a_run_of_zeros_gives_a_verdict_not_a_crash(runs_dir: Path, tmp_path: Path) -> None:
    baseline = baseline_of(tmp_path, [[0.0] * 40, *([list(np.full(40, 1.0))] * 4)])
    done = hologram("baseline", "compare", "--perf-dir", str(runs_dir), "--baseline", str(baseline))
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr
    assert "core.verify_ms" in done.stdout


def test_duplicate_keys_and_unequal_runs_in_a_baseline_are_exit_2(runs_dir: Path, tmp_path: Path) -> None:
    duplicate = tmp_path / "dup.json"
    duplicate.write_text('{"schema": "hologram-baseline/3", "schema": "hologram-baseline/2", "metrics": {}}')
    compare = ("baseline", "compare", "--perf-dir", str(runs_dir), "--baseline")
    one_line_exit_2(hologram(*compare, str(duplicate)), "duplicate key 'schema'")
    unequal = baseline_of(tmp_path, [list(np.full(2000, 1.0)), [1.0], [1.0], [1.0]], "unequal.json")
    one_line_exit_2(hologram(*compare, str(unequal)), "runs of 1 and 2000 samples")


def test_one_metric_in_two_samples_files_is_exit_2(runs_dir: Path) -> None:
    copy = runs_dir / "samples" / "core_copy.csv"
    copy.write_text((runs_dir / "samples" / "core.csv").read_text())
    one_line_exit_2(hologram("gate", "--perf-dir", str(runs_dir)), "is also in", str(copy))


def test_two_runs_with_allow_one_run_are_judged_on_their_samples(runs_dir: Path, tmp_path: Path) -> None:
    baseline = baseline_of(tmp_path, [list(np.full(40, 0.3)), list(np.full(40, 0.31))])
    compare = ("baseline", "compare", "--perf-dir", str(runs_dir), "--baseline", str(baseline))
    assert hologram(*compare).returncode == 0  # two runs: no run-level test, no verdict
    asked = hologram(*compare, "--allow-one-run")
    assert asked.returncode == 1 and "REGRESSED    core.verify_ms" in asked.stdout


def test_collect_into_a_file_is_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    done = hologram("perf", "collect", "--suite", "core", "--runs", "1", "--samples", "5", "--perf-dir", str(blocker))
    one_line_exit_2(done, str(blocker))


def test_a_target_that_prints_and_exits_is_a_recorded_error(tmp_path: Path) -> None:
    (tmp_path / "printer.py").write_text(
        "import os\nprint('[1, 2]')\ndef encode(d):\n    os._exit(0)\ndef verify(s):\n    return True\n"
    )
    done = hologram(
        "perf", "collect", "--suite", "core", "--runs", "2", "--perf-dir", str(tmp_path / "perf"),
        env={"HOLOGRAM_TARGET": "printer", "PYTHONPATH": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode in (2, 3) and "Traceback" not in done.stderr, done.stderr  # 3: the suite errored


def test_ab_cancelled_with_sigterm_removes_its_worktree(codec_repo: Path) -> None:
    env = {"HOLOGRAM_TARGET": "mycodec:codec", "PYTHONPATH": f"{codec_repo}:{ROOT}"}
    command = [sys.executable, "-m", "hologram_lib.cli", "ab", "--base", "main", "--runs", "40", "--perf-dir",
               str(codec_repo / "perf")]  # fmt: skip
    process = subprocess.Popen(command, cwd=codec_repo, env={**dict(__import__("os").environ), **env})
    time.sleep(2.0)
    assert len(worktrees(codec_repo)) == 2  # the base's worktree exists while it measures
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    assert len(worktrees(codec_repo)) == 1
