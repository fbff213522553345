"""The history store: one DuckDB file (`.history/history.duckdb`, HOLOGRAM_HISTORY elsewhere), schema-versioned.

Why DuckDB: the questions asked of history are analytical — one metric's series over thousands of runs, the last N
green main runs, a pivot for the charts — and DuckDB answers them from a columnar, compressed file (10,000 runs ×
20 metrics in a few MB, `make bench`) with no server, reads and writes Parquet itself (export/import partitioned by
date, which DuckDB over object storage, Spark or Trino read as they are), and takes a transaction per append.
SQLite would serve the appends as well but not the scans or Parquet; a folder of Parquet files alone has no
transactions and no uniqueness of run ids.

Concurrency: DuckDB lets one process at a time open a file for writing and refuses the others. Our writers and
readers first take an advisory lock on the file (`locks.locked`, waiting), so two reports that append at once are
serialised — both runs land; a DuckDB lock held by a foreign process (someone's `duckdb` shell) is an InputError
(exit 2).
Every write is one transaction: a crash leaves the store as it was before the append (DuckDB's write-ahead log).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import astuple
from pathlib import Path
from typing import TYPE_CHECKING

from hologram_lib.errors import InputError
from hologram_lib.history.records import SCHEMA, RunRecord, check_run
from hologram_lib.locks import locked

if TYPE_CHECKING:
    import duckdb

_TABLES = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE runs (
    run_id VARCHAR PRIMARY KEY,
    seq BIGINT NOT NULL,               -- the order runs were stored in (ties of recorded_at)
    recorded_at TIMESTAMP NOT NULL,    -- UTC, when the run was measured: the series' order
    stored_at TIMESTAMP NOT NULL,
    "commit" VARCHAR, branch VARCHAR, profile VARCHAR, runner VARCHAR, machine VARCHAR,
    green BOOLEAN,                     -- the report's overall verdict passed (NULL: unknown, e.g. imported)
    knobs VARCHAR NOT NULL,            -- JSON
    source VARCHAR NOT NULL
);
CREATE TABLE metrics (
    run_id VARCHAR NOT NULL, metric VARCHAR NOT NULL, processes INTEGER NOT NULL, n INTEGER NOT NULL,
    p50_ms DOUBLE, p95_ms DOUBLE, p99_ms DOUBLE, mean_ms DOUBLE, centre_ms DOUBLE, tail_ms DOUBLE, spread_log DOUBLE
);
"""


def _fail(path: Path, what: str, exc: Exception) -> InputError:
    text = " ".join(str(exc).split())
    if "lock" in text.lower():
        return InputError(f"the history store is locked by another process ({text[:200]}); close it and retry", path)
    return InputError(f"{what}: expected a hologram history store (DuckDB, {SCHEMA}): {text[:200]}", path)


def _check_schema(connection: duckdb.DuckDBPyConnection, path: Path) -> None:
    tables = {row[0] for row in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if not tables:
        connection.execute(_TABLES)
        connection.execute("INSERT INTO meta VALUES ('schema', ?)", [SCHEMA])
        return
    found = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() if "meta" in tables else None
    if found is None or found[0] != SCHEMA:
        raise InputError(
            f"history store schema {found[0] if found else 'unknown'!r}: expected {SCHEMA!r} (a store written by "
            "another version: export it with that version and import the export here)",
            path,
        )


@contextmanager
def opened(path: Path, *, write: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the store. Every opener is serialised by an advisory lock; writers create the file when
    absent, a reader of an absent store is an InputError naming it."""
    import duckdb

    if not write and not path.exists():
        raise InputError("no history store here (`hologram report` or `hologram history import` creates it)", path)
    if path.exists() and not path.is_file():
        raise InputError("expected a history store file, found a directory", path)
    # Readers take the lock too (briefly): DuckDB refuses a read-only open while another process writes, which
    # would turn a report that reads history during another's append into a spurious "locked".
    with locked(path):
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = duckdb.connect(str(path), read_only=not write)
        except duckdb.Error as exc:
            raise _fail(path, "cannot open", exc) from None
        try:
            try:
                if write:
                    connection.execute("BEGIN TRANSACTION")
                    _check_schema(connection, path)
                    connection.execute("COMMIT")
                else:
                    _check_schema(connection, path)
            except duckdb.Error as exc:
                raise _fail(path, "cannot read", exc) from None
            yield connection
        finally:
            connection.close()


def _run_values(record: RunRecord, seq: int, stored_at: object) -> list[object]:
    return [
        record.run_id, seq, record.recorded_at, stored_at, record.commit, record.branch, record.profile,
        record.runner, record.machine, record.green, record.knobs, record.source,
    ]  # fmt: skip


def add_runs(path: Path, records: Iterable[RunRecord]) -> tuple[list[str], list[str]]:
    """Store runs in one transaction; a run id already stored is left as it is (first write wins, so importing the
    same artifact twice stores its runs once). Returns (stored ids, ids that were already there)."""
    import duckdb

    from hologram_lib.history.records import now_utc

    stored: list[str] = []
    present: list[str] = []
    batch = list(records)
    with opened(path, write=True) as connection:
        try:
            connection.execute("BEGIN TRANSACTION")
            ids = [record.run_id for record in batch]
            query = "SELECT run_id FROM runs WHERE run_id IN (SELECT unnest($ids))"
            known = {row[0] for row in connection.execute(query, {"ids": ids}).fetchall()}
            seq = int(connection.execute("SELECT coalesce(max(seq), 0) FROM runs").fetchone()[0])  # type: ignore[index]
            stored_at = now_utc()
            for record in batch:
                check_run(record, record.source)
                if record.run_id in known:
                    present.append(record.run_id)
                    continue
                seq += 1
                known.add(record.run_id)
                connection.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", _run_values(
                    record, seq, stored_at))  # fmt: skip
                # One statement for all of a run's metrics: DuckDB's executemany runs one statement per row.
                values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(record.metrics))
                flat = [value for row in record.metrics for value in (record.run_id, *astuple(row))]
                connection.execute(f"INSERT INTO metrics VALUES {values}", flat)
                stored.append(record.run_id)
            connection.execute("COMMIT")
        except duckdb.Error as exc:
            connection.execute("ROLLBACK")
            raise _fail(path, "cannot write", exc) from None
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    return stored, present


def knobs_json(knobs: dict[str, object]) -> str:
    return json.dumps(knobs, sort_keys=True, default=str)
