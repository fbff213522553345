"""The session-wide guard (tests/conftest.py): a test session that changes the checkout's .history/ or reports/ fails,
naming what changed; reports/test-run/ is exempt (where `make test` points the seed's suites)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT


def _session(checkout: Path, body: str) -> subprocess.CompletedProcess[str]:
    """A pytest session with this project's conftest, guarding `checkout` instead of the real one."""
    tests = checkout / "probe"
    tests.mkdir(exist_ok=True)
    (tests / "test_probe.py").write_text(f"from pathlib import Path\n\n\ndef test_probe():\n    {body}\n")
    env = {**os.environ, "HOLOGRAM_TEST_CHECKOUT": str(checkout), "PYTHONPATH": str(ROOT)}
    env.pop("HOLOGRAM_PERF_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider", "--rootdir",
         str(tests), "-c", os.devnull, str(tests / "test_probe.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_a_session_that_writes_the_users_store_or_reports_fails_naming_it(tmp_path: Path) -> None:
    (tmp_path / ".history").mkdir()
    (tmp_path / ".history" / "history.duckdb").write_text("the user's runs")
    (tmp_path / "reports").mkdir()
    store = tmp_path / ".history" / "history.duckdb"
    done = _session(tmp_path, f"Path({str(store)!r}).write_text('a fake run from a test')")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the tests changed the checkout's .history/ or reports/" in done.stdout
    assert ".history/history.duckdb: changed" in done.stdout
    summary = tmp_path / "reports" / "summary.md"
    done = _session(tmp_path, f"Path({str(summary)!r}).write_text('x')")
    assert done.returncode == 1 and "reports/summary.md: added" in done.stdout, done.stdout


def test_the_test_run_folder_is_exempt(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    sample = tmp_path / "reports" / "test-run" / "perf" / "core_perf.csv"
    body = f"p = Path({str(sample)!r}); p.parent.mkdir(parents=True); p.write_text('x')"
    done = _session(tmp_path, body)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sample.exists()
