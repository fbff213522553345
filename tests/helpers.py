"""Helpers the test modules share (plain functions and data, no fixtures: those live in conftest.py).

A test module imports from here, from the small support modules beside it (chromium, http_server, …) and from
conftest only by naming a fixture in its signature — never from another test module, so that each test file can be
read, run and moved on its own (tests/test_test_layout.py holds that rule).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from hologram_lib import config
from hologram_lib.baseline import baseline_document, write_baseline
from hologram_lib.drift import DriftResult
from hologram_lib.e2e.events import EventLog
from hologram_lib.experiments.ab import AbReport, write_ab
from hologram_lib.history.exchange import import_paths
from hologram_lib.history.lanes import current_lane
from hologram_lib.history.records import MetricRow, RunRecord
from hologram_lib.history.store import add_runs
from hologram_lib.machine import fingerprint as machine_fingerprint
from hologram_lib.perf.files import MetricResult, load_perf_dir, write_suite

ROOT = Path(__file__).resolve().parent.parent
# Every variable the product reads (config's registry): cleared for each test, so a developer's shell never leaks in.
VERDICT_ENV = tuple(sorted(config.VARIABLES))
# Where this machine's Kubo is (a CI runner puts it there): the tests' own stacks use it too.
MACHINE_ENV = ("HOLOGRAM_HISTORY", "HOLOGRAM_KUBO", "HOLOGRAM_KUBO_CACHE")
# Set by conftest when the lane guard is on: a folder whose sitecustomize reports what a child process starts.
LANE_GUARD_PATH = "HOLOGRAM_TEST_LANE_GUARD_PATH"


# --- samples --------------------------------------------------------------------------------------------------------


def lognormal(median_ms: float, sigma: float, n: int, seed: int) -> np.ndarray:
    return median_ms * np.exp(sigma * np.random.default_rng(seed).standard_normal(n))


def lognormal_runs(
    median_ms: float, sigma: float, runs: int, n: int, seed: int, between: float = 0.05
) -> list[np.ndarray]:
    """Runs of lognormal samples whose medians vary between runs by `between` (log-sd), as real processes do."""
    rng = np.random.default_rng(seed)
    return [median_ms * np.exp(between * rng.standard_normal() + sigma * rng.standard_normal(n)) for _ in range(runs)]


# --- commands as a user runs them -----------------------------------------------------------------------------------


def run_command(args: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run a command as a user would (a separate process), with the verdict env vars cleared."""
    full_env = {k: v for k, v in os.environ.items() if k not in VERDICT_ENV}
    full_env["HOLOGRAM_HISTORY"] = os.environ["HOLOGRAM_HISTORY"]  # the test's own store (clean_env)
    full_env.update({k: os.environ[k] for k in MACHINE_ENV[1:] if k in os.environ})
    full_env.update(env or {})
    guard = os.environ.get(LANE_GUARD_PATH)
    if guard and env and "PYTHONPATH" in env:  # a test's own PYTHONPATH keeps the lane guard's folder after it
        full_env["PYTHONPATH"] = f"{env['PYTHONPATH']}{os.pathsep}{guard}"
    return subprocess.run(args, capture_output=True, text=True, env=full_env, cwd=cwd, timeout=300, check=False)


def hologram(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return run_command([sys.executable, "-m", "hologram_lib.cli", *args], env=env, cwd=cwd)


def perf_collect(
    perf_dir: Path,
    *suites: str,
    samples: int | None = None,
    runs: int | None = 3,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """`hologram perf collect --perf-dir DIR [--suite S]… [--samples N] [--runs K]` as a user runs it."""
    args = ["perf", "collect", "--perf-dir", str(perf_dir)]
    for suite in suites:
        args += ["--suite", suite]
    if samples is not None:
        args += ["--samples", str(samples)]
    if runs is not None:
        args += ["--runs", str(runs), "--max-runs", str(runs)]
    return hologram(*args, env=env)


def verdict(reports: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`hologram verdict` (= `make gate`) over a reports folder's perf data and E2E events."""
    return hologram(
        "verdict",
        "--perf-dir",
        str(reports / "perf"),
        "--events",
        str(reports / "e2e" / "events.jsonl"),
        *extra,
        env=env,
    )


def stack_token(info: object) -> str:
    """The marketplace token of a stack started by the `stack` fixture (its state folder holds it)."""
    from hologram_lib.devstack.stack import read_token

    return read_token(info.state_dir)  # type: ignore[attr-defined]


# --- git ------------------------------------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def head_commit() -> str:
    """The commit a CLI run from the project root judges (an A/B of another head is stale)."""
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def worktrees(repo: Path) -> list[str]:
    done = subprocess.run(["git", "-C", str(repo), "worktree", "list"], capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()


# A codec a test repository commits (HOLOGRAM_TARGET=mycodec:codec): each encode busy-waits `delay` seconds.
CODEC = """import time

class Codec:
    def encode(self, data):
        end = time.perf_counter() + {delay}
        while time.perf_counter() < end:
            pass
        return bytes(data[:16])

    def verify(self, state):
        return isinstance(state, bytes)

codec = Codec()
"""

# Extra work at the end of atlas.encode: a Python loop costs ≈150 instructions an iteration under callgrind, and
# encode of 1 MiB ≈4.29 M; 840 iterations ≈ +3 %, 2800 ≈ +10 % (the tests check the measured ratio too).
ENCODE_RETURN = "    return AtlasState(len(payload), grids)\n"
EDITS = {
    "plus3": ENCODE_RETURN.replace("    return", "    for _ in range(840):  # extra work\n        pass\n    return"),
    "plus10": ENCODE_RETURN.replace("    return", "    for _ in range(2800):  # extra work\n        pass\n    return"),
    "comment": ENCODE_RETURN.replace(
        "    return", "    # A comment-only change: the grids are complete here, so the state can be built.\n    return"
    ),
}


# --- reports folders in the real file formats -----------------------------------------------------------------------

UPSTREAM_LIKE = {  # the upstream's typical figures: verify ≈ 7 ms, encode ≈ 60 ms
    "core.verify_ms": lognormal(6.0, 0.1, 200, 1),
    "core.encode_1MB_ms": lognormal(50.0, 0.1, 200, 2),
    "graphql.resolve_ms": "skipped: GRAPHQL_URL is not set",
}


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


HOSTILE_FUNCTION = "<img src=x onerror=alert(1)>[x](javascript:alert(1))<!channel>"


def counted_regression(report_dir: Path) -> str:
    """An ab.json of this commit whose counted encode regressed, with the functions `ab` names (one hostile)."""
    from hologram_lib.drift import DriftResult
    from hologram_lib.experiments.ab import AbReport, write_ab

    key = "core.encode_1MB_instructions"
    base = {"ref": "3f2a9c1d0e4b", "commit": "3f2a9c1d0e4b" * 3}
    head = {"ref": "working tree", "commit": head_commit()}
    regressed = DriftResult(status="regressed", ratio=1.03, ci_low=1.03, ci_high=1.03, mde_pct=1.0)
    path = write_ab(report_dir / "perf", AbReport(base, head, 3, 2.0, {key: regressed}))
    document = json.loads(path.read_text())
    moved = [("PyObject_Vectorcall", 600.0, 43.0), (HOSTILE_FUNCTION, 300.0, 21.0)]
    functions = [
        {"function": name, "base_self": 1000.0, "head_self": 1000.0 + delta, "delta_self": delta, "share_pct": share,
         "base_inclusive": 5000.0, "head_inclusive": 5000.0 + delta}
        for name, delta, share in moved
    ]  # fmt: skip
    document["counted"] = {"attribution": {key: {"status": "regressed", "functions": functions}}}
    path.write_text(json.dumps(document))
    return key


# --- the history store ----------------------------------------------------------------------------------------------


HERE = current_lane()  # the tests' runs are this repository's on this machine: the baseline's and the gate's lane


def history_run(run_id: str, level: float, minutes: int, *, branch: str = "main", green: bool = True) -> RunRecord:
    rows = tuple(
        MetricRow(metric, 10, 2000, level * f, level * f * 1.1, None, None, level * f, level * f * 1.09, 0.05)
        for metric, f in (("core.verify_ms", 0.1), ("core.encode_1MB_ms", 1.0))
    )
    when = datetime(2026, 11, 1) + timedelta(minutes=minutes)
    return RunRecord(run_id, when, f"c{minutes:07d}", branch, "main", "r", HERE.machine, green, "{}", "test", rows,
                     HERE.repository)  # fmt: skip


def store_with(tmp_path: Path, records: list[RunRecord]) -> Path:
    """A history store under tmp_path/store holding `records`."""
    store = tmp_path / "store" / "h.duckdb"
    add_runs(store, records)
    return store
