"""Runs read out of report artifacts: a perf folder (`reports/perf`), a report folder or CI artifact (a folder or a
zip holding one or more of them), or an upstream-format summary CSV (`suite,metric,p50_ms,p95_ms,…`).

A run's id is the collect's `run_id` from its summaries (the same id a later import of the same artifact finds, so
imports are idempotent); a file without one (the upstream format) gets `upstream-<hash of its bytes>`. Its time is
the timestamp in that id, else the newest summary file's modification time (for a zip, the time its entry
records).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from hologram_lib.errors import InputError
from hologram_lib.history.records import RunRecord, metric_row
from hologram_lib.history.store import knobs_json
from hologram_lib.perf.files import load_perf_dir

RUN_ID_TIME = "%Y%m%dT%H%M%SZ"
MAX_ZIP_BYTES = 2 << 30  # an artifact zip that unpacks beyond 2 GiB is refused, not unpacked


def _summary_run_ids(perf_dir: Path) -> list[str]:
    ids: set[str] = set()
    for path in sorted(perf_dir.glob("*_perf.csv")):
        if path.name == "e2e_perf.csv":  # appended by each probe with the probe's own id
            continue
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                ids.update(row["run_id"] for row in csv.DictReader(handle) if row.get("run_id"))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InputError(f"expected a perf summary CSV (UTF-8): {exc}", path) from None
    return sorted(ids)


def current_run_id(perf_dir: Path) -> str:
    """The id a perf folder's run has (or would have) in the store."""
    ids = _summary_run_ids(perf_dir) if perf_dir.is_dir() else []
    return "+".join(ids) if ids else (_content_id(perf_dir) if perf_dir.is_dir() else "")


def _content_id(perf_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(perf_dir.glob("*.csv")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"upstream-{digest.hexdigest()[:16]}"


def _recorded_at(run_id: str, perf_dir: Path) -> datetime:
    try:
        return datetime.strptime(run_id.partition("-")[0], RUN_ID_TIME)
    except ValueError:
        newest = max((p.stat().st_mtime for p in perf_dir.glob("*.csv")), default=0.0)
        return datetime.fromtimestamp(newest, UTC).replace(tzinfo=None)


def run_from_perf_dir(
    perf_dir: Path, source: str, provenance: dict[str, object] | None = None, green: bool | None = None
) -> RunRecord:
    """One run from a perf folder (the files a collect wrote); `provenance` as config.provenance gives it."""
    metrics = load_perf_dir(perf_dir)
    rows = tuple(row for data in metrics.values() if (row := metric_row(data)) is not None)
    ids = _summary_run_ids(perf_dir)
    run_id = current_run_id(perf_dir)
    origin = provenance or {}
    knobs = origin.get("knobs")
    return RunRecord(
        run_id=run_id,
        recorded_at=_recorded_at(ids[0] if ids else "", perf_dir),
        commit=_text(origin.get("commit")),
        branch=_text(origin.get("branch")),
        profile=_text(origin.get("profile")),
        runner=_text(origin.get("runner")),
        machine=_text(origin.get("machine")),
        green=green,
        knobs=knobs_json(knobs if isinstance(knobs, dict) else {}),
        source=source,
        metrics=rows,
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _verdict_green(report_dir: Path) -> bool | None:
    try:
        document = json.loads((report_dir / "verdict.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    passed = document.get("passed") if isinstance(document, dict) else None
    return passed if isinstance(passed, bool) else None


def _perf_dirs(root: Path) -> Iterator[tuple[Path, Path]]:
    """(perf folder, the report folder around it) for every perf folder under root: a folder with summaries."""
    candidates = [root, *sorted(p for p in root.rglob("*") if p.is_dir())]
    for folder in candidates:
        if folder.name == "cold" or not any(folder.glob("*_perf.csv")):
            continue  # a cold profile is a variant of its warm run, not a run of its own
        yield folder, folder.parent if folder.name == "perf" else folder


def _runs_in_folder(root: Path, label: str) -> list[RunRecord]:
    runs = []
    for perf_dir, report_dir in _perf_dirs(root):
        where = f"{label}/{perf_dir.relative_to(root)}" if perf_dir != root else label
        # Commit, branch and machine are unknown for an artifact (its files do not say): stored as NULL.
        runs.append(run_from_perf_dir(perf_dir, where, None, _verdict_green(report_dir)))
    return runs


@contextmanager
def _named_as(tmp: str, label: str) -> Iterator[None]:
    """Errors about files unpacked or copied into `tmp` name the user's file instead (the temp one is gone)."""
    try:
        yield
    except InputError as exc:
        if exc.path is None or not exc.path.startswith(tmp):
            raise
        inside = exc.path[len(tmp) :].lstrip("/")
        where = label if inside == Path(label).name else f"{label}/{inside}"
        raise InputError(exc.message, where, exc.line) from None


def _upstream_csv(path: Path) -> list[RunRecord]:
    """An upstream summary CSV on its own: one run of point estimates."""
    with tempfile.TemporaryDirectory() as tmp, _named_as(tmp, str(path)):
        folder = Path(tmp)
        shutil.copy2(path, folder / path.name)  # keeps the modification time: the run's time
        run = run_from_perf_dir(folder, str(path))
    return [run]


def _zip(path: Path) -> list[RunRecord]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"expected a zip archive (a CI artifact): {exc}", path) from None
    with archive, tempfile.TemporaryDirectory() as tmp:
        if sum(info.file_size for info in archive.infolist()) > MAX_ZIP_BYTES:
            raise InputError(f"unpacks to more than {MAX_ZIP_BYTES >> 30} GiB: expected a report artifact", path)
        for info in archive.infolist():
            target = (Path(tmp) / info.filename).resolve()
            if not target.is_relative_to(Path(tmp).resolve()):
                raise InputError(f"member {info.filename!r} points outside the archive", path)
        try:
            archive.extractall(tmp)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:  # a damaged member (bad CRC, broken stream)
            raise InputError(f"expected a zip archive (a CI artifact) whose members unpack: {exc}", path) from None
        for info in archive.infolist():  # extractall stamps files "now"; the entry's own time is the run's
            stamp = datetime(*info.date_time).timestamp()
            os.utime(Path(tmp) / info.filename, (stamp, stamp))
        with _named_as(tmp, str(path)):
            return _runs_in_folder(Path(tmp), str(path))


def runs_from_artifact(path: Path) -> list[RunRecord]:
    """Every run an artifact holds; an InputError when it holds none."""
    if path.is_dir():
        runs = _runs_in_folder(path, str(path))
    elif path.suffix == ".zip":
        runs = _zip(path)
    elif path.suffix == ".csv":
        runs = _upstream_csv(path)
    else:
        raise InputError("expected a perf or report folder, a CI artifact .zip, a .csv or a .parquet export", path)
    if not runs:
        raise InputError("no perf summaries (*_perf.csv) found: expected a reports/perf folder or an artifact", path)
    return runs
