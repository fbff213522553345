"""`hologram ab` against hostile leftovers and targets: worktrees that a SIGKILL left behind are pruned by the next
run (not the worktree of an ab that is still running), and a target that prints JSON cannot forge a run's result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hologram_lib.perf.collect import RunRequest, run_process
from hologram_lib.perf.worktrees import worktree
from tests.helpers import ROOT, worktrees

HOLD_A_WORKTREE = """
import signal, sys, time
from pathlib import Path
from hologram_lib.perf.worktrees import worktree
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # as the CLI does: SIGTERM unwinds, `finally` runs
with worktree(Path(sys.argv[1]), sys.argv[2]) as tree:
    print(tree, flush=True)
    time.sleep(120)
"""


def _commit(repo: Path) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()


def _holder(repo: Path) -> tuple[subprocess.Popen[str], Path]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_A_WORKTREE, str(repo), _commit(repo)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert process.stdout is not None
    return process, Path(process.stdout.readline().strip())


def test_a_worktree_left_by_a_killed_ab_is_pruned_by_the_next_run(codec_repo: Path) -> None:
    process, tree = _holder(codec_repo)
    os.kill(process.pid, signal.SIGKILL)  # no `finally` runs
    process.communicate()
    assert tree.is_dir() and len(worktrees(codec_repo)) == 2
    with worktree(codec_repo, _commit(codec_repo)) as mine:
        assert not tree.exists() and not tree.parent.exists()
        assert len(worktrees(codec_repo)) == 2 and mine.is_dir()  # the old one gone, this run's own in place
    assert len(worktrees(codec_repo)) == 1


def test_the_worktree_of_a_running_ab_is_left_alone(codec_repo: Path) -> None:
    process, tree = _holder(codec_repo)
    try:
        with worktree(codec_repo, _commit(codec_repo)):
            assert tree.is_dir() and len(worktrees(codec_repo)) == 3
    finally:
        process.terminate()
        process.communicate()
    deadline = time.monotonic() + 30
    while len(worktrees(codec_repo)) != 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(worktrees(codec_repo)) == 1


FORGER = """import json, sys

class Codec:
    def encode(self, data):
        return bytes(data[:16])

    def verify(self, state):
        return isinstance(state, bytes)

codec = Codec()
# What a target may print, on purpose or not: a line shaped like the worker's own result.
print(json.dumps({"metrics": {"core.verify_ms": [9999.0] * 5, "core.encode_1MB_ms": [9999.0] * 5}}))
"""


@pytest.mark.process
def test_a_target_that_prints_a_result_line_cannot_forge_the_runs_result(tmp_path: Path) -> None:
    (tmp_path / "forger.py").write_text(FORGER)
    env = {**os.environ, "HOLOGRAM_TARGET": "forger:codec", "PYTHONPATH": f"{tmp_path}:{ROOT}"}
    result = run_process(RunRequest("core", 5), env)
    assert result.error is None and result.metrics
    assert all(max(values) < 1000 for values in result.metrics.values()), json.dumps(
        {k: v.tolist() for k, v in result.metrics.items()}
    )
