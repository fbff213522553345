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

A store file is outside input: it may hold views, macros or generated columns that read files (`read_text(
'/proc/self/environ')` put the token into a report) or name an extension that DuckDB would download (a SQLite file
opened as the store). So every connection has file access and extension loading switched off before the first
statement, and the three tables must be base tables with exactly the columns this version creates.

Schema 2 keys a run by (repository, run_id): a store merged from several repositories' exports keeps the same run id
of two repositories apart (history/lanes.py). A schema 1 store (no repository) is migrated when it is first opened,
in one transaction (`_migrate` says to whom its runs are attributed, and why).
"""

from __future__ import annotations

import functools
import json
import re
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
    run_id VARCHAR NOT NULL,
    seq BIGINT NOT NULL,               -- the order runs were stored in (ties of recorded_at)
    recorded_at TIMESTAMP NOT NULL,    -- UTC, when the run was measured: the series' order
    stored_at TIMESTAMP NOT NULL,
    "commit" VARCHAR, branch VARCHAR, profile VARCHAR, runner VARCHAR, machine VARCHAR,
    green BOOLEAN,                     -- the report's overall verdict passed (NULL: unknown, e.g. imported)
    knobs VARCHAR NOT NULL,            -- JSON
    source VARCHAR NOT NULL,
    repository VARCHAR NOT NULL,       -- owner/name (history/lanes.py); a run id is unique within its repository
    PRIMARY KEY (repository, run_id)
);
CREATE TABLE metrics (
    run_id VARCHAR NOT NULL, metric VARCHAR NOT NULL, processes INTEGER NOT NULL, n INTEGER NOT NULL,
    p50_ms DOUBLE, p95_ms DOUBLE, p99_ms DOUBLE, mean_ms DOUBLE, centre_ms DOUBLE, tail_ms DOUBLE, spread_log DOUBLE,
    repository VARCHAR NOT NULL
);
"""
# Schema 1 (before repositories), checked column by column before a store of it is migrated (`_migrate`).
_SCHEMA_V1 = "hologram-history/1"
_TABLES_V1 = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE runs (
    run_id VARCHAR PRIMARY KEY, seq BIGINT NOT NULL, recorded_at TIMESTAMP NOT NULL, stored_at TIMESTAMP NOT NULL,
    "commit" VARCHAR, branch VARCHAR, profile VARCHAR, runner VARCHAR, machine VARCHAR, green BOOLEAN,
    knobs VARCHAR NOT NULL, source VARCHAR NOT NULL
);
CREATE TABLE metrics (
    run_id VARCHAR NOT NULL, metric VARCHAR NOT NULL, processes INTEGER NOT NULL, n INTEGER NOT NULL,
    p50_ms DOUBLE, p95_ms DOUBLE, p99_ms DOUBLE, mean_ms DOUBLE, centre_ms DOUBLE, tail_ms DOUBLE, spread_log DOUBLE
);
"""

# DuckDB's words for a file another process holds ("Could not set lock on file …: Conflicting lock is held in …");
# a bare "lock" also matches the "block" of a corrupt file's message.
_LOCK_MESSAGE = re.compile(r"could not set lock|conflicting lock", re.IGNORECASE)
# Set before the store's first statement: an extension is never installed or loaded (a SQLite file made DuckDB fetch
# sqlite_scanner over plain HTTP), and external access is switched off once the export folder (if any) is allowed.
_NO_EXTENSIONS: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


def _fail(path: Path, what: str, exc: Exception) -> InputError:
    text = " ".join(str(exc).split())
    if _LOCK_MESSAGE.search(text):
        return InputError(f"the history store is locked by another process ({text[:200]}); close it and retry", path)
    return InputError(f"{what}: expected a hologram history store (DuckDB, {SCHEMA}): {text[:200]}", path)


_COLUMNS_QUERY = (
    "SELECT c.table_name, t.table_type, c.column_name, c.data_type, c.is_generated FROM information_schema.columns c "
    "JOIN information_schema.tables t USING (table_schema, table_name) WHERE c.table_schema = 'main' "
    "AND c.table_name IN ('meta', 'runs', 'metrics') ORDER BY c.table_name, c.ordinal_position"
)


@functools.cache
def _expected_columns(tables: str = _TABLES) -> list[tuple[str, ...]]:
    """The three tables' columns as `tables` creates them (read from a scratch in-memory database)."""
    import duckdb

    with duckdb.connect(config={**_NO_EXTENSIONS, "enable_external_access": False}) as scratch:
        scratch.execute(tables)
        return [tuple(row) for row in scratch.execute(_COLUMNS_QUERY).fetchall()]


def _check_tables(connection: duckdb.DuckDBPyConnection, path: Path, tables: str, schema: str) -> None:
    """The store's tables are base tables with the columns `tables` creates: a view, an extra or a generated column
    is refused before any of them is read."""
    found = [tuple(row) for row in connection.execute(_COLUMNS_QUERY).fetchall()]
    if found == _expected_columns(tables):
        return
    for table in ("meta", "runs", "metrics"):
        mine = [row for row in found if row[0] == table]
        expected = [row for row in _expected_columns(tables) if row[0] == table]
        if mine != expected:
            kind = "missing" if not mine else f"a {str(mine[0][1]).lower()}" if mine[0][1] != "BASE TABLE" else ""
            columns = ", ".join(str(row[2]) for row in expected)
            state = kind or "altered (columns " + ", ".join(f"{row[2]} {row[3]}" for row in mine)[:120] + ")"
            raise InputError(
                f"history store table {table} is {state}: expected a base table ({columns}) as {schema} creates it",
                path,
            )


def _check_schema(connection: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """Check the store's schema (creating it in an empty file); True when it is schema 1, to be migrated."""
    tables = {row[0] for row in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if not tables:
        connection.execute(_TABLES)
        connection.execute("INSERT INTO meta VALUES ('schema', ?)", [SCHEMA])
        return False
    meta = [row for row in connection.execute(_COLUMNS_QUERY).fetchall() if row[0] == "meta"]
    if [tuple(row) for row in meta] == [row for row in _expected_columns() if row[0] == "meta"]:
        # Another version's store is named as such first: its other tables may well differ from ours.
        found = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if found is not None and found[0] == _SCHEMA_V1:
            _check_tables(connection, path, _TABLES_V1, _SCHEMA_V1)
            return True
        if found is None or found[0] != SCHEMA:
            raise InputError(
                f"history store schema {found[0] if found else 'unknown'!r}: expected {SCHEMA!r} or {_SCHEMA_V1!r} "
                "(a store written by another version: export it with that version and import the export here)",
                path,
            )
    _check_tables(connection, path, _TABLES, SCHEMA)
    return False


def _migrate(connection: duckdb.DuckDBPyConnection) -> None:
    """Schema 1 → 2, inside the caller's transaction: the tables rebuilt with a repository column and the key
    (repository, run_id). Schema 1 stores held one repository's runs — the `.history/` of its checkout, restored
    from that repository's CI cache — so they are attributed to the local repository (history/lanes.py; "unknown"
    only where git names none): attributing them to "unknown" would cut every existing store's green main runs
    out of this repository's baseline on upgrade. The meta table says when and to whom."""
    from hologram_lib.history.lanes import current_repository
    from hologram_lib.history.records import now_utc

    repository = current_repository()
    connection.execute("ALTER TABLE metrics RENAME TO metrics_v1")
    connection.execute("ALTER TABLE runs RENAME TO runs_v1")
    connection.execute(_TABLES.split(";", 1)[1])  # runs and metrics as this version creates them
    run_columns = (
        'run_id, seq, recorded_at, stored_at, "commit", branch, profile, runner, machine, green, knobs, source'
    )
    connection.execute(f"INSERT INTO runs SELECT {run_columns}, $r FROM runs_v1", {"r": repository})
    metric_columns = "run_id, metric, processes, n, p50_ms, p95_ms, p99_ms, mean_ms, centre_ms, tail_ms, spread_log"
    connection.execute(f"INSERT INTO metrics SELECT {metric_columns}, $r FROM metrics_v1", {"r": repository})
    connection.execute("DROP TABLE metrics_v1")
    connection.execute("DROP TABLE runs_v1")
    connection.execute("UPDATE meta SET value = $s WHERE key = 'schema'", {"s": SCHEMA})
    note = f"{_SCHEMA_V1} on {now_utc():%Y-%m-%d %H:%M:%S} UTC; its runs attributed to {repository}"
    connection.execute("INSERT OR REPLACE INTO meta VALUES ('migrated', $n)", {"n": note})


def _connect(path: Path, *, write: bool, writable_dir: Path | None) -> duckdb.DuckDBPyConnection:
    """A connection whose statements cannot touch a file or load an extension — except in `writable_dir` (an
    export's own temp folder). Both settings are in place before the store's first statement runs."""
    import duckdb

    connection = duckdb.connect(str(path), read_only=not write, config=_NO_EXTENSIONS)
    try:
        if writable_dir is not None:
            connection.execute("SET allowed_directories = $dirs", {"dirs": [f"{writable_dir.resolve()}/"]})
        connection.execute("SET enable_external_access = false")
    except BaseException:
        connection.close()
        raise
    return connection


def _checked(connection: duckdb.DuckDBPyConnection, path: Path, *, write: bool) -> bool:
    """Check (a writer: create, or migrate from schema 1, in one transaction) the store's schema; True when a reader
    found schema 1 and the store must be migrated by a writer first."""
    if not write:
        return _check_schema(connection, path)
    connection.execute("BEGIN TRANSACTION")
    try:
        if _check_schema(connection, path):
            _migrate(connection)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return False


def _migrated(path: Path) -> None:
    """Migrate a schema 1 store in place (a reader opened it; the caller holds the store's lock)."""
    try:
        connection = _connect(path, write=True, writable_dir=None)
    except Exception as exc:  # a read-only file or folder: the store cannot gain its column here
        raise InputError(f"a {_SCHEMA_V1} store, which this version migrates, cannot be written here: "
                         f"{' '.join(str(exc).split())[:160]}", path) from None  # fmt: skip
    try:
        _checked(connection, path, write=True)
    finally:
        connection.close()


def interrupted(exc: BaseException) -> bool:
    """Is this how DuckDB reports that a signal (SIGTERM, Ctrl-C) stopped its statement? It swallows the handler's
    KeyboardInterrupt and raises RuntimeError("Query interrupted") instead."""
    return type(exc) is RuntimeError and str(exc) == "Query interrupted"


@contextmanager
def opened(path: Path, *, write: bool, writable_dir: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the store. Every opener is serialised by an advisory lock; writers create the file when
    absent, a reader of an absent store is an InputError naming it. Only `writable_dir` may be written (COPY … TO)."""
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
            connection = _connect(path, write=write, writable_dir=writable_dir)
        except duckdb.Error as exc:
            raise _fail(path, "cannot open", exc) from None
        try:
            try:
                if _checked(connection, path, write=write):  # a reader of a schema 1 store: migrated, reopened
                    connection.close()
                    _migrated(path)
                    connection = _connect(path, write=False, writable_dir=writable_dir)
                    _checked(connection, path, write=False)
            except duckdb.Error as exc:
                raise _fail(path, "cannot read", exc) from None
            try:
                yield connection
            except duckdb.Error as exc:  # a corrupt block found by a later query is the same bad input
                raise _fail(path, "cannot read", exc) from None
        except RuntimeError as exc:
            if interrupted(exc):
                raise KeyboardInterrupt("the history store's statement was interrupted") from None
            raise
        finally:
            connection.close()


def _run_values(record: RunRecord, seq: int, stored_at: object) -> list[object]:
    return [
        record.run_id, seq, record.recorded_at, stored_at, record.commit, record.branch, record.profile,
        record.runner, record.machine, record.green, record.knobs, record.source, record.repository,
    ]  # fmt: skip


def add_runs(path: Path, records: Iterable[RunRecord]) -> tuple[list[str], list[str]]:
    """Store runs in one transaction; a run already stored — the same run id from the same repository — is left as
    it is (first write wins, so importing the same artifact, or two exports that overlap, stores its runs once); the
    same run id from another repository is another run. Returns (stored ids, ids that were already there)."""
    import duckdb

    from hologram_lib.history.records import now_utc

    stored: list[str] = []
    present: list[str] = []
    batch = list(records)
    with opened(path, write=True) as connection:
        try:
            connection.execute("BEGIN TRANSACTION")
            ids = sorted({record.run_id for record in batch})
            query = "SELECT repository, run_id FROM runs WHERE list_contains($ids, run_id)"
            known = {(row[0], row[1]) for row in connection.execute(query, {"ids": ids}).fetchall()}
            seq = int(connection.execute("SELECT coalesce(max(seq), 0) FROM runs").fetchone()[0])  # type: ignore[index]
            stored_at = now_utc()
            for record in batch:
                check_run(record, record.source)
                key = (record.repository, record.run_id)
                if key in known:
                    present.append(record.run_id)
                    continue
                seq += 1
                known.add(key)
                connection.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", _run_values(
                    record, seq, stored_at))  # fmt: skip
                # One statement for all of a run's metrics: DuckDB's executemany runs one statement per row.
                values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(record.metrics))
                flat = [value for row in record.metrics for value in (record.run_id, *astuple(row), record.repository)]
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
