"""A history store file is outside input: it must not read files, fetch extensions, pass altered tables or turn a
corrupt block or a signal into the wrong message. Each store here is a real DuckDB (or SQLite) file."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from hologram_lib.history.records import MetricRow, RunRecord
from hologram_lib.history.store import add_runs, opened
from tests.helpers import hologram

TOKEN = "tok-store-safety-7f3a9c"


def _store(tmp_path: Path) -> Path:
    store = tmp_path / "h.duckdb"
    row = MetricRow("core.verify_ms", 3, 600, 1.0, 1.2, 1.3, 1.05, 1.0, 1.2, 0.02)
    add_runs(store, [RunRecord("r1", datetime(2026, 11, 1), "c1", "main", "main", "r", "m", True, "{}", "t", (row,))])
    return store


def _altered(store: Path, *statements: str) -> Path:
    with duckdb.connect(str(store)) as connection:
        for statement in statements:
            connection.execute(statement)
    return store


def _one_line_exit_2(done: object, store: Path) -> str:
    stderr: str = done.stderr  # type: ignore[attr-defined]
    assert done.returncode == 2, stderr  # type: ignore[attr-defined]
    assert stderr.startswith(f"hologram: error: {store}: ") and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1
    return stderr


@pytest.mark.parametrize("command", [["history", "show"], ["history", "export", "--out", "OUT"]])
def test_a_metrics_view_reading_the_environment_is_refused(tmp_path: Path, command: list[str]) -> None:
    store = _altered(
        _store(tmp_path),
        "DROP TABLE metrics",
        "CREATE VIEW metrics AS SELECT r.run_id, content AS metric, 1 AS processes, 1 AS n, 1.0 AS p50_ms, "
        "1.0 AS p95_ms, 1.0 AS p99_ms, 1.0 AS mean_ms, 1.0 AS centre_ms, 1.0 AS tail_ms, 0.0 AS spread_log "
        "FROM runs r, read_text('/proc/self/environ')",
    )
    out = tmp_path / "out.csv"
    args = [str(out) if arg == "OUT" else arg for arg in command]
    done = hologram(*args, "--store", str(store), env={"GRAPHQL_TOKEN": TOKEN})
    stderr = _one_line_exit_2(done, store)
    assert "table metrics is a view" in stderr
    assert TOKEN not in done.stdout + stderr
    assert not out.exists()


def test_file_access_is_off_even_for_a_query_the_checks_would_pass(tmp_path: Path) -> None:
    """Defence in depth: the connection itself cannot read a file, whatever the store holds."""
    with opened(_store(tmp_path), write=False) as connection, pytest.raises(duckdb.PermissionException):
        connection.execute("SELECT * FROM read_text('/proc/self/environ')").fetchall()


def test_a_sqlite_file_as_the_store_fetches_no_extension(tmp_path: Path) -> None:
    store = tmp_path / "h.duckdb"
    with sqlite3.connect(store) as connection:
        connection.execute("CREATE TABLE runs (run_id TEXT)")
    done = hologram("history", "show", "--store", str(store))
    stderr = _one_line_exit_2(done, store)
    assert "download" not in stderr.lower() and "expected a hologram history store" in stderr
    assert sqlite3.connect(store).execute("SELECT name FROM sqlite_master").fetchall() == [("runs",)]  # untouched


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        (["DROP TABLE metrics"], "table metrics is missing"),
        (["ALTER TABLE runs ADD COLUMN extra VARCHAR"], "table runs is altered"),
        (["ALTER TABLE metrics ADD COLUMN extra VARCHAR"], "table metrics is altered"),
        (["ALTER TABLE metrics ALTER p95_ms TYPE VARCHAR"], "table metrics is altered"),
        (["DROP TABLE meta", "CREATE VIEW meta AS SELECT 'schema' AS key, 'hologram-history/1' AS value"], "a view"),
    ],
)
def test_a_store_with_missing_or_altered_tables_is_exit_2_naming_the_table(
    tmp_path: Path, statements: list[str], expected: str
) -> None:
    store = _altered(_store(tmp_path), *statements)
    for args in (["history", "show"], ["history", "import", str(tmp_path / "none.csv")]):
        (tmp_path / "none.csv").write_text("run_id,recorded_at,metric,p95_ms\nx,2026-11-02T00:00:00Z,core.a_ms,1\n")
        stderr = _one_line_exit_2(hologram(*args, "--store", str(store)), store)
        assert expected in stderr


def test_a_corrupt_block_is_not_reported_as_locked(tmp_path: Path) -> None:
    """DuckDB names the damaged "block"; the word contains "lock", which once read as "locked by another process"."""
    store = _altered(_store(tmp_path), "CREATE TABLE filler AS SELECT range AS a, 'x' || range AS b FROM range(100000)")
    data = bytearray(store.read_bytes())
    for offset in range(3 * 4096 + 100, len(data), 4096 * 8):
        data[offset : offset + 64] = b"\xff" * 64
    store.write_bytes(bytes(data))
    done = hologram("history", "export", "--store", str(store), "--out", str(tmp_path / "x.csv"))
    stderr = _one_line_exit_2(done, store)
    assert "locked" not in stderr and "expected a hologram history store" in stderr


@pytest.mark.slow  # DuckDB notices the interrupt late: 85 s on a quiet machine (make check, 2026-12-06)
def test_sigterm_during_a_store_statement_is_an_interrupt_not_a_runtime_error(tmp_path: Path) -> None:
    """The CLI turns SIGTERM into KeyboardInterrupt (exit 130); DuckDB swallows it into RuntimeError("Query
    interrupted") mid-statement, which escaped as a traceback."""
    from hologram_lib.cli import _interrupt

    store = _store(tmp_path)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    try:
        with pytest.raises(KeyboardInterrupt), opened(store, write=False) as connection:
            timer.start()
            connection.execute("SELECT count(*) FROM range(1000000000000)").fetchall()
    finally:
        timer.cancel()
        signal.signal(signal.SIGTERM, previous)
