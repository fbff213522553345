"""Crash loop: `perf collect`, `e2e probe`, `baseline promote` and `report` SIGKILLed at seeded random moments.

A kill -9 (an OOM kill, a cancelled CI job) runs no cleanup: whatever is on disk at that instant is what the next
command reads. Each test starts the real CLI in a process group of its own, waits a seeded random delay (or for
the moment a file is being written), then freezes and SIGKILLs the whole tree — the command, its perf workers and
its notebook kernels — and checks what was left: files whole or absent, event lines whole, the old baseline or the
new one, an index that never claims a verdict it did not reach; and that the next uninterrupted run recovers.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from hologram_lib.baseline import baseline_document, read_baseline, write_baseline
from hologram_lib.e2e.events import read_events
from hologram_lib.errors import InputError
from hologram_lib.perf.files import load_perf_dir
from tests.helpers import ROOT, VERDICT_ENV, hologram, lognormal_runs

pytestmark = pytest.mark.slow

SEED = 20261127
# atomic.write_bytes writes `.<name>.<8 random chars>.tmp` beside its target and renames it into place; a SIGKILL
# between mkstemp and os.replace leaves that file behind (nothing can unlink it). Any other dot- or tmp-file is not
# from the atomic writer.
ATOMIC_TEMP = re.compile(r"\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp")
CLOSED_PORT = "http://127.0.0.1:9"


# -- running and killing -------------------------------------------------------------------------------------------


def start(args: list[str], stderr_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """`hologram ARGS` as a user starts it, in a process group of its own (so the kill reaches its workers)."""
    full_env = {k: v for k, v in os.environ.items() if k not in VERDICT_ENV}
    full_env["HOLOGRAM_HISTORY"] = os.environ["HOLOGRAM_HISTORY"]  # the test's own store, never the checkout's
    full_env.update(env or {})
    with stderr_path.open("wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "hologram_lib.cli", *args],
            cwd=ROOT,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )


def kill_tree(proc: subprocess.Popen) -> None:
    """Freeze the command's group (nothing new is spawned or written), then SIGKILL it and every descendant —
    notebook kernels run in sessions of their own, so the group alone would miss them."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGSTOP)
    try:
        descendants = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    for child in descendants:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    proc.wait(timeout=30)
    psutil.wait_procs(descendants, timeout=10)


def run_killed(
    args: list[str],
    stderr_path: Path,
    *,
    delay: float,
    when: Callable[[], bool] | None = None,
    env: dict[str, str] | None = None,
    pids: list[int] | None = None,
) -> int | None:
    """Run `hologram ARGS` and SIGKILL it `delay` seconds after start — or, with `when`, `delay` seconds after
    `when()` first holds (polled every half millisecond). Returns None when killed, else the exit code of a command that
    finished first (which must then be an ordinary exit, not a crash)."""
    proc = start(args, stderr_path, env)
    if pids is not None:
        pids.append(proc.pid)
    try:
        if when is not None:
            deadline = time.monotonic() + 60
            while proc.poll() is None and not when() and time.monotonic() < deadline:
                time.sleep(0.0005)
        try:
            code = proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            kill_tree(proc)
            return None
        stderr = stderr_path.read_text(errors="replace")
        assert "Traceback" not in stderr, f"hologram {' '.join(args)} crashed on its own:\n{stderr}"
        return code
    finally:
        if proc.poll() is None:
            kill_tree(proc)


def assert_no_stray_temp(folder: Path, written: dict[Path, set[str]]) -> None:
    """Dot-files and tmp-files under `folder` are only the atomic writer's, for files it writes there."""
    for path in folder.rglob("*"):
        if path.is_dir():
            continue
        name = path.name
        temp = ATOMIC_TEMP.fullmatch(name)
        if temp is not None and temp["target"] in written.get(path.parent, set()):
            continue
        assert not name.startswith(".") and "tmp" not in name.lower(), f"stray temporary file {path}"


def _state(folder: Path) -> dict[Path, tuple[int, int, int]]:
    state = {}
    for path in folder.rglob("*") if folder.is_dir() else []:
        with contextlib.suppress(FileNotFoundError):  # a temp file renamed away while we looked
            status = path.stat()
            state[path] = (status.st_ino, status.st_mtime_ns, status.st_size)
    return state


def writes_under(folder: Path) -> Callable[[], bool]:
    """A predicate: has anything under `folder` been created, replaced or changed since now (a write under way)?"""
    before = _state(folder)
    return lambda: _state(folder) != before


# -- 1. perf collect -----------------------------------------------------------------------------------------------


def assert_perf_dir_whole(perf_dir: Path, context: str) -> None:
    written = {perf_dir: {"core_perf.csv"}, perf_dir / "samples": {"core.csv"}}
    assert_no_stray_temp(perf_dir, written)
    for path in perf_dir.rglob("*.csv"):
        text = path.read_text(encoding="utf-8")
        assert text.endswith("\n"), f"{context}: {path} was cut short (no final line end): {text[-80:]!r}"
    with contextlib.suppress(InputError):
        load_perf_dir(perf_dir)


def test_collect_killed_at_random_leaves_whole_files_and_recovers(tmp_path: Path) -> None:
    rng = random.Random(f"collect-{SEED}")
    perf_dir = tmp_path / "perf"
    args = [
        "perf",
        "collect",
        "--suite",
        "core",
        "--runs",
        "3",
        "--max-runs",
        "3",
        "--samples",
        "50",
        "--perf-dir",
        str(perf_dir),
    ]
    killed = 0
    for attempt in range(8):
        stderr = tmp_path / f"collect-{attempt}.err"
        if attempt % 2:  # at a random moment of the run
            delay = rng.uniform(0.05, 2.0)
            code = run_killed(args, stderr, delay=delay)
            context = f"collect killed after {delay:.3f} s (seed {SEED}, attempt {attempt})"
        else:  # while it writes: a few ms after the first file of this run appears, between samples and summary
            delay = rng.uniform(0.0, 0.01)
            code = run_killed(args, stderr, delay=delay, when=writes_under(perf_dir))
            context = f"collect killed {delay * 1000:.1f} ms into its writes (seed {SEED}, attempt {attempt})"
        assert code in (None, 0), f"{context}: finished with exit {code}"
        killed += code is None
        assert_perf_dir_whole(perf_dir, context)
    assert killed >= 3, f"only {killed} of 8 collects were killed: the delays no longer reach into the run"

    done = hologram(*args)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert_perf_dir_whole(perf_dir, "after an uninterrupted collect")
    metrics = load_perf_dir(perf_dir)
    for key in ("core.verify_ms", "core.encode_1MB_ms"):
        assert metrics[key].error is None and metrics[key].n == 150 and metrics[key].run_count == 3, metrics[key]
    gate = hologram("gate", "--perf-dir", str(perf_dir), "--profile", "default")
    assert gate.returncode in (0, 1), gate.stdout + gate.stderr
    assert "Traceback" not in gate.stderr and gate.stdout.startswith("perf gate: "), gate.stdout + gate.stderr
    assert "core.verify_ms: p95" in gate.stdout and "core.encode_1MB_ms: p95" in gate.stdout, gate.stdout


# -- 2. e2e probe --------------------------------------------------------------------------------------------------


def test_probe_killed_at_random_leaves_only_whole_event_lines(tmp_path: Path) -> None:
    rng = random.Random(f"probe-{SEED}")
    events = tmp_path / "e2e" / "events.jsonl"
    perf_dir = tmp_path / "perf"
    env = {"IPFS_API": CLOSED_PORT, "GRAPHQL_URL": CLOSED_PORT}
    args = ["e2e", "probe", "--events", str(events), "--perf-dir", str(perf_dir), "--timeout", "2"]
    # How long a whole probe takes here (a failed preflight is quick): the kills are spread over that span.
    started = time.monotonic()
    assert run_killed(args, tmp_path / "probe-timing.err", delay=60, env=env) == 1
    span = time.monotonic() - started
    killed = 0
    for attempt in range(12):
        delay = rng.uniform(0.02, 1.1 * span)
        code = run_killed(args, tmp_path / f"probe-{attempt}.err", delay=delay, env=env)
        context = f"probe killed after {delay:.3f} s (seed {SEED}, attempt {attempt})"
        assert code in (None, 1), f"{context}: finished with exit {code}"
        killed += code is None
        raw = events.read_bytes()
        assert raw.endswith(b"\n"), f"{context}: the event log ends in a torn line: {raw[-120:]!r}"
        lines, problems = read_events(events)
        assert problems == [], f"{context}: {problems}"
        assert all(line.record["run_id"] for line in lines)
        assert_no_stray_temp(events.parent, {})
        if perf_dir.exists():
            assert_no_stray_temp(perf_dir, {perf_dir: {"e2e_perf.csv"}, perf_dir / "samples": {"e2e.csv"}})
            with contextlib.suppress(InputError):
                load_perf_dir(perf_dir)
    assert killed >= 4, f"only {killed} of 12 probes were killed (a whole probe took {span:.3f} s)"

    summary = hologram("e2e", "summary", "--events", str(events))
    assert summary.returncode in (0, 1, 2), summary.stdout + summary.stderr
    assert "Traceback" not in summary.stderr, summary.stderr
    assert "e2e: latest run " in summary.stdout, summary.stdout + summary.stderr


# -- 3. baseline promote -------------------------------------------------------------------------------------------


def test_promote_killed_at_random_keeps_the_old_baseline_or_writes_the_whole_new_one(
    tmp_path: Path, make_perf_dir: Callable[..., Path]
) -> None:
    rng = random.Random(f"promote-{SEED}")
    perf_dir = make_perf_dir(
        {
            "core.verify_ms": lognormal_runs(1.0, 0.1, 10, 2000, 1),
            "core.encode_1MB_ms": lognormal_runs(10.0, 0.1, 10, 2000, 2),
        }
    )
    old_perf = make_perf_dir({"core.verify_ms": lognormal_runs(0.9, 0.1, 10, 40, 3)}, name="old")
    baseline = tmp_path / "baseline" / "baseline.json"
    write_baseline(baseline, baseline_document(load_perf_dir(old_perf), {"branch": "main"}))
    expected = {
        key: (entry["p95_ms"], entry["n"], len(entry["runs"]))
        for key, entry in baseline_document(load_perf_dir(perf_dir), {})["metrics"].items()
    }
    args = ["baseline", "promote", "--force", "--perf-dir", str(perf_dir), "--baseline", str(baseline)]

    killed = replaced = 0
    for attempt in range(12):
        before = baseline.read_bytes()
        stderr = tmp_path / f"promote-{attempt}.err"
        if attempt % 3:
            delay = rng.uniform(0.05, 1.5)
            code = run_killed(args, stderr, delay=delay)
            context = f"promote killed after {delay:.3f} s (seed {SEED}, attempt {attempt})"
        else:  # while it writes the new baseline: just after something in its folder appears or changes
            delay = rng.uniform(0.0, 0.002)
            code = run_killed(args, stderr, delay=delay, when=writes_under(baseline.parent))
            context = f"promote killed {delay * 1000:.1f} ms into its write (seed {SEED}, attempt {attempt})"
        assert code in (None, 0), f"{context}: finished with exit {code}"
        killed += code is None
        assert baseline.exists(), f"{context}: the baseline is gone"
        assert_no_stray_temp(baseline.parent, {baseline.parent: {baseline.name}})
        after = baseline.read_bytes()
        if after == before:
            continue
        replaced += 1
        try:
            document = read_baseline(baseline)
        except InputError as exc:
            pytest.fail(f"{context}: the baseline is neither the old file nor a whole new one: {exc}")
        found = {key: (m.p95_ms, m.n, len(m.runs)) for key, m in document.metrics.items()}
        assert found == expected, f"{context}: a baseline that is not this perf dir's"
    assert killed >= 4, f"only {killed} of 12 promotes were killed: the delays no longer reach into the run"
    assert replaced < 12, "no kill came before the write: the old-baseline case was never exercised"


# -- 4. report -----------------------------------------------------------------------------------------------------

VERDICT = re.compile(r"Verdict: (PASS|FAIL|in progress|could not judge)")


def test_report_killed_at_random_never_leaves_a_false_index_and_recovers(tmp_path: Path, report_dir: Path) -> None:
    rng = random.Random(f"report-{SEED}")
    index = report_dir / "index.html"
    args = ["report", "--no-collect", "--reports-dir", str(report_dir)]
    killed, pids = 0, []
    try:
        for attempt in range(4):
            delay = rng.uniform(0.2, 9.0)
            code = run_killed(args, tmp_path / f"report-{attempt}.err", delay=delay, pids=pids)
            context = f"report killed after {delay:.3f} s (seed {SEED}, attempt {attempt})"
            assert code in (None, 0), f"{context}: finished with exit {code}"
            killed += code is None
            if index.exists():
                text = index.read_text(encoding="utf-8")
                assert VERDICT.search(text), f"{context}: index.html says no verdict state: {text[:300]!r}"
                if code == 0:
                    assert "Verdict: FAIL" in text and "in progress" not in text, text[:300]
        assert killed >= 1, "none of 4 reports was killed: the delays no longer reach into the run"

        done = hologram(*args)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stdout + done.stderr
        text = index.read_text(encoding="utf-8")
        assert "Verdict: FAIL" in text, text[:500]
        assert "in progress" not in text and "could not judge" not in text, text[:500]
        # …and the recovering report cleared what the killed ones left: half-run notebooks in the artifact, kernel
        # folders with their connection files (which hold the kernels' HMAC keys).
        assert not list((report_dir / "notebooks").glob(".*.running.ipynb"))
        temp = Path(tempfile.gettempdir())
        assert not [pid for pid in pids if (temp / f"hologram-kernels-{pid}").exists()]
    finally:
        remove_kernel_leftovers(pids)


def remove_kernel_leftovers(pids: list[int]) -> None:
    """A SIGKILLed report cannot clean up after its kernels: their socket folder (/tmp/hologram-kernels-<pid>) and
    jupyter_client's connection files (/tmp/tmp*.json, naming a socket in that folder) stay. Remove what our own
    kills left, and nothing else."""
    temp = Path(tempfile.gettempdir())
    folders = tuple(f"{temp / f'hologram-kernels-{pid}'}/" for pid in pids)
    for path in temp.glob("tmp*.json"):
        with contextlib.suppress(OSError, ValueError):
            document = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(document, dict) and str(document.get("ip", "")).startswith(folders):
                path.unlink()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
