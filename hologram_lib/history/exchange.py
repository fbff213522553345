"""`hologram history export` / `import`: the store as a table of one row per run and metric (EXPORT_COLUMNS).

Export: `.csv`, `.parquet` (one file), or a folder (no suffix): Parquet partitioned by date (`date=YYYY-MM-DD/`,
Hive style), which DuckDB over object storage, Spark and Trino read as one table. Every row names its repository.
Import takes those back, plus report artifacts (`artifacts`), several at once (all or nothing: the first bad one is
named and nothing is stored); a run already stored (same repository and run id) is skipped, so importing twice, or
two exports that overlap, stores a run once. Runs whose files name no repository (artifacts, exports made before
schema 2) are attributed to `--repository`, else to the local repository (history/lanes.py), and the import says so.
"""

from __future__ import annotations

import csv
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from hologram_lib.errors import InputError
from hologram_lib.history.artifacts import runs_from_artifact
from hologram_lib.history.records import EXPORT_COLUMNS, INT32_MAX, METRIC_COLUMNS, MetricRow, RunRecord
from hologram_lib.history.store import add_runs, knobs_json, opened

REQUIRED_COLUMNS = ("run_id", "recorded_at", "metric", "p95_ms")
_EXPORT_QUERY = (
    'SELECT r.run_id, r.recorded_at, r."commit", r.branch, r.profile, r.runner, r.machine, r.green, r.knobs, '
    "r.source, m.metric, m.processes, m.n, m.p50_ms, m.p95_ms, m.p99_ms, m.mean_ms, m.centre_ms, m.tail_ms, "
    "m.spread_log, r.repository{extra} FROM runs r JOIN metrics m USING (repository, run_id) "
    "ORDER BY r.recorded_at, r.seq, m.metric"
)


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export(store: Path, out: Path) -> int:
    """Write the store's rows to `out` (atomically: a temp name beside it, then renamed); returns the row count."""
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet", ""):
        raise InputError("expected --out to end in .csv or .parquet, or to be a folder (Parquet by date)", out)
    if suffix == "" and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError("expected a new or empty folder for the Parquet export partitioned by date", out)
    if suffix != "" and out.is_dir():
        raise InputError(f"expected a {suffix} file to write, found a folder", out)
    try:  # a place we cannot write is the user's input to fix, found before the store is read
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(prefix=f".{out.name}.", dir=out.parent):
            pass
    except OSError as exc:
        raise InputError(f"cannot write the export there ({exc.strerror})", out) from None
    with opened(store, write=False, writable_dir=out.parent) as connection:
        count = int(connection.execute("SELECT count(*) FROM metrics").fetchone()[0])  # type: ignore[index]
        if suffix == "":
            temp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
            query = _EXPORT_QUERY.format(extra=", CAST(r.recorded_at AS DATE) AS date")
            connection.execute(f"COPY ({query}) TO {_quoted(temp)} (FORMAT parquet, PARTITION_BY (date), OVERWRITE)")
            if out.exists():
                out.rmdir()
            temp.rename(out)
            return count
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        os.close(fd)
        options = "(HEADER, DELIMITER ',')" if suffix == ".csv" else "(FORMAT parquet)"
        try:
            connection.execute(f"COPY ({_EXPORT_QUERY.format(extra='')}) TO {_quoted(Path(name))} {options}")
            os.replace(name, out)
        finally:
            Path(name).unlink(missing_ok=True)
    return count


def _number(raw: object, column: str, where: str, line: int | None) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value < 0:  # latencies, counts and a spread: never negative
        raise InputError(f"{column}: expected a non-negative number, got {str(raw)[:40]!r}", where, line)
    return value


def _count(raw: object, column: str, where: str, line: int | None) -> int:
    value = _number(raw, column, where, line)
    if value is None or value > INT32_MAX or value != int(value):
        raise InputError(f"{column}: expected a whole number, got {str(raw)[:40]!r}", where, line)
    return int(value)


def _time(raw: object, where: str, line: int | None) -> datetime:
    if isinstance(raw, datetime):
        return raw
    from hologram_lib.history.records import utc

    try:
        return utc(datetime.fromisoformat(str(raw).replace("Z", "+00:00")))
    except (ValueError, OverflowError):  # OverflowError: a zone that moves year 1 or 9999 out of range
        raise InputError(f"recorded_at: expected an ISO time (UTC) between the years 1 and 9999, got "
                         f"{str(raw)[:40]!r}", where, line) from None  # fmt: skip


def _green(raw: object) -> bool | None:
    if isinstance(raw, bool) or raw is None:
        return raw
    text = str(raw).strip().lower()
    return True if text == "true" else False if text == "false" else None


def _knobs(raw: object, where: str, line: int | None) -> str:
    if raw is None or raw == "":
        return "{}"
    try:
        parsed = json.loads(raw) if isinstance(raw, str) else raw
        return knobs_json(parsed) if isinstance(parsed, dict) else _not_knobs(raw, where, line)
    except ValueError:
        return _not_knobs(raw, where, line)
    except RecursionError:  # `{"a": {"a": …}}` nested 40,000 deep
        raise InputError("knobs: expected a JSON object nested a few hundred levels at most", where, line) from None


def _not_knobs(raw: object, where: str, line: int | None) -> str:
    raise InputError(f"knobs: expected a JSON object, got {str(raw)[:40]!r}", where, line)


def _optional(raw: object) -> str | None:
    return None if raw is None or raw == "" else str(raw)


NO_REPOSITORY = ""  # a run whose file names no repository, until `import_paths` attributes it
_REPOSITORY_CHARS = 200


def _repository(raw: object, where: str, line: int | None) -> str:
    name = "" if raw is None else str(raw).strip()
    if len(name) > _REPOSITORY_CHARS or not name.isprintable():
        raise InputError(f"repository: expected a name like owner/name (printable, at most {_REPOSITORY_CHARS} "
                         f"characters), got {name[:40]!r}", where, line)  # fmt: skip
    return name or NO_REPOSITORY


@dataclass
class _Assembly:
    """Rows of one table grouped back into runs (a run's fields are taken from its first row), one per repository
    and run id: a merged store's export holds the same run id of two repositories as two runs."""

    runs: dict[tuple[str, str], RunRecord]

    def add(self, row: Mapping[str, object], where: str, line: int | None) -> None:
        run_id = str(row.get("run_id") or "").strip()
        if not run_id:
            raise InputError("run_id: expected a run id in every row", where, line)
        metric = str(row.get("metric") or "").strip()
        if not metric:
            raise InputError("metric: expected a metric key in every row", where, line)
        numbers = {c: _number(row.get(c), c, where, line) for c in METRIC_COLUMNS[3:]}
        if numbers["p95_ms"] is None and numbers["p50_ms"] is None:
            raise InputError("p95_ms: expected a latency (or p50_ms)", where, line)
        processes = _count(row.get("processes") or 1, "processes", where, line)
        metric_row = MetricRow(metric, processes, _count(row.get("n") or 0, "n", where, line), **numbers)
        repository = _repository(row.get("repository"), where, line)
        key = (repository, run_id)
        run = self.runs.get(key)
        if run is None:
            run = RunRecord(
                run_id, _time(row.get("recorded_at"), where, line), _optional(row.get("commit")),
                _optional(row.get("branch")), _optional(row.get("profile")), _optional(row.get("runner")),
                _optional(row.get("machine")), _green(row.get("green")), _knobs(row.get("knobs"), where, line),
                str(row.get("source") or where), repository=repository,
            )  # fmt: skip
        elif _time(row.get("recorded_at"), where, line) != run.recorded_at:  # two runs under one id
            earlier = f"{run.recorded_at:%Y-%m-%d %H:%M:%S}"
            raise InputError(f"run {run_id} recorded at {earlier} in an earlier row: expected one time per run id",
                             where, line)  # fmt: skip
        if any(m.metric == metric for m in run.metrics):
            raise InputError(f"run {run_id} has {metric} twice: expected one row per run and metric", where, line)
        self.runs[key] = replace(run, metrics=(*run.metrics, metric_row))


def _check_columns(columns: Iterable[str], where: str) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in set(columns)]
    if missing:
        raise InputError(
            f"a foreign table: columns {', '.join(missing)} missing (expected `hologram history export`'s columns: "
            f"{', '.join(EXPORT_COLUMNS)})",
            where,
        )


def _csv_table(path: Path) -> list[RunRecord]:
    assembly = _Assembly({})
    try:
        # utf-8-sig: a spreadsheet's byte-order mark is not part of the first column's name
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            _check_columns(reader.fieldnames or [], str(path))
            repeated = sorted({c for c in reader.fieldnames or [] if (reader.fieldnames or []).count(c) > 1})
            if repeated:  # DictReader would keep the last one silently
                raise InputError(f"column {repeated[0]!r} appears more than once: expected each column once", path, 1)
            for row in reader:
                if None in row:  # DictReader files the fields beyond the header under None
                    raise InputError(f"expected {len(reader.fieldnames or [])} fields as in the header, got more",
                                     path, reader.line_num)  # fmt: skip
                assembly.add(row, str(path), reader.line_num)
    except UnicodeDecodeError:
        raise InputError("expected UTF-8 text", path) from None
    except csv.Error as exc:  # a field over the csv module's limit; DictReader's own line_num lags a row behind
        raise InputError(f"expected CSV fields ({exc})", path, reader.reader.line_num) from None
    return list(assembly.runs.values())


# An import is a history: 10,000 runs × 20 metrics is 200,000 rows. A 36 KB Parquet file can hold 5 M rows of one
# repeated value, which took 2 GB to fetch before any row was checked; past this many rows the file is refused.
MAX_IMPORT_ROWS = 2_000_000
_BATCH_ROWS = 50_000


def _parquet_table(path: Path) -> list[RunRecord]:
    import duckdb

    pattern = path / "**" / "*.parquet" if path.is_dir() else path
    source = f"read_parquet({_quoted(pattern)}, hive_partitioning = true, union_by_name = true)"
    assembly = _Assembly({})
    try:
        connection = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
        count = int(connection.execute(f"SELECT count(*) FROM {source}").fetchone()[0])  # type: ignore[index]
        if count > MAX_IMPORT_ROWS:
            raise InputError(f"{count:,} rows: expected at most {MAX_IMPORT_ROWS:,} (one per run and metric)", path)
        relation = connection.execute(f"SELECT * FROM {source}")
        columns = [d[0] for d in relation.description or []]
        _check_columns(columns, str(path))
        number = 0
        while rows := relation.fetchmany(_BATCH_ROWS):  # each batch checked before the next is read
            for values in rows:
                number += 1
                assembly.add(dict(zip(columns, values, strict=True)), f"{path} row {number}", None)
    except duckdb.Error as exc:
        raise InputError(f"expected Parquet written by `hologram history export`: {' '.join(str(exc).split())[:200]}",
                         path) from None  # fmt: skip
    except (ValueError, OverflowError) as exc:  # a timestamp beyond Python's years 1-9999, fetched by DuckDB
        raise InputError(f"expected values Python can hold: {' '.join(str(exc).split())[:120]}", path) from None
    return list(assembly.runs.values())


def _is_export_csv(path: Path) -> bool:
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        return handle.readline().startswith("run_id,")


def runs_in(path: Path) -> list[RunRecord]:
    """The runs one import argument holds, whatever kind of file or folder it is; a run whose file names no
    repository has NO_REPOSITORY."""
    if not path.exists():
        raise InputError("no such file or folder to import", path)
    if path.suffix.lower() == ".parquet" or (
        path.is_dir() and any(path.rglob("*.parquet")) and not any(path.rglob("*_perf.csv"))
    ):
        return _parquet_table(path)
    if path.is_file() and path.suffix.lower() == ".csv" and _is_export_csv(path):
        return _csv_table(path)
    return [replace(run, repository=NO_REPOSITORY) for run in runs_from_artifact(path)]


@dataclass(frozen=True)
class ImportOutcome:
    stored: list[str]
    present: list[str]
    attributed: int = 0  # runs whose files named no repository
    repository: str = ""  # … and whose they were taken to be

    def lines(self, store: Path) -> list[str]:
        line = f"history: imported {len(self.stored)} run(s) into {store}; {len(self.present)} already stored"
        if self.attributed:
            line += f"; {self.attributed} run(s) named no repository: attributed to {self.repository}"
        return [line]


def import_paths(
    store: Path,
    paths: Iterable[Path],
    branch: str | None = None,
    repository: str | None = None,
    machine: str | None = None,
) -> ImportOutcome:
    """Import every run of every path in one transaction (all or nothing: every path is read and checked before the
    store is opened). `branch` labels runs whose files do not say which branch they measured (artifacts), so that
    main's runs feed the change points and the baseline; `repository` (else the local one) those that name no
    repository (artifacts, exports made before schema 2); `machine` those that name no machine (artifacts: without
    one they are a lane of their own, "unknown machine", and never this machine's baseline)."""
    from hologram_lib.history.lanes import current_repository

    owner = _repository(repository, "--repository", None) if repository is not None else current_repository()
    if not owner:
        raise InputError("--repository: expected a name like owner/name, got an empty one")
    runs = [run for path in paths for run in runs_in(path)]
    attributed = sum(run.repository == NO_REPOSITORY for run in runs)
    runs = [run if run.repository != NO_REPOSITORY else replace(run, repository=owner) for run in runs]
    if branch is not None:
        runs = [run if run.branch else replace(run, branch=branch) for run in runs]
    if machine is not None:
        runs = [run if run.machine else replace(run, machine=machine) for run in runs]
    stored, present = add_runs(store, runs)
    return ImportOutcome(stored, present, attributed, owner)
