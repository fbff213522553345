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
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from hologram_lib.clock import run_id_time
from hologram_lib.errors import InputError
from hologram_lib.history.records import RunRecord, metric_row
from hologram_lib.history.store import knobs_json
from hologram_lib.layout import Reports
from hologram_lib.perf.files import load_perf_dir
from hologram_lib.verdict_file import read_verdict

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
    made = run_id_time(run_id)
    if made is not None:
        return made
    newest = max((p.stat().st_mtime for p in perf_dir.glob("*.csv")), default=0.0)
    return datetime.fromtimestamp(newest, UTC).replace(tzinfo=None)


def run_from_perf_dir(
    perf_dir: Path, source: str, provenance: dict[str, object] | None = None, green: bool | None = None
) -> RunRecord:
    """One run from a perf folder (the files a collect wrote); `provenance` as provenance.provenance gives it."""
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
    document = read_verdict(Reports(report_dir).verdict)
    return None if document is None else bool(document["passed"])


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


_KNOWN_COMPRESSION = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
# Report artifacts are CSV and JSON: they compress 5-20 times. A member that claims more than this ratio (deflate's
# own ceiling is ≈1,030) is a bomb — 1 MB that unpacks to 1 GiB — and is refused before a byte is written.
MAX_ZIP_RATIO = 200
_ZIP_CHUNK = 1 << 20


def _checked_member(info: zipfile.ZipInfo, path: Path) -> datetime:
    """The member's own time, after refusing what no report artifact holds: encryption, an unknown compression,
    a name with `..` / `.` / empty parts or over 255 bytes a part, an impossible date, a suspicious ratio."""
    name = info.filename
    if info.flag_bits & 0x1:
        raise InputError(f"member {name[:80]!r} is encrypted: expected a plain report artifact", path)
    if info.compress_type not in _KNOWN_COMPRESSION:
        raise InputError(f"member {name[:80]!r} uses compression method {info.compress_type}: expected stored, "
                         "deflate, bzip2 or lzma", path)  # fmt: skip
    parts = name.rstrip("/").split("/")
    if name.startswith("/") or "\\" in name or any(part in ("", ".", "..") for part in parts):
        raise InputError(f"member {name[:80]!r}: expected a plain relative name (no '..', '.', empty parts)", path)
    if any(len(part.encode()) > 255 for part in parts) or len(name.encode()) > 1024:
        raise InputError(f"member {name[:80]!r}…: expected names of at most 255 bytes a part", path)
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > _ZIP_CHUNK and ratio > MAX_ZIP_RATIO:
        raise InputError(f"member {name[:80]!r} unpacks {ratio:.0f} times its size: expected at most "
                         f"{MAX_ZIP_RATIO} (a report artifact, not a zip bomb)", path)  # fmt: skip
    try:
        return datetime(*info.date_time)
    except ValueError:
        raise InputError(f"member {name[:80]!r} has an impossible date {info.date_time}", path) from None


def _unpack(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, path: Path) -> None:
    """One member, streamed: never more bytes than its header declared (a header can lie about its size)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if info.is_dir():
        target.mkdir(exist_ok=True)
        return
    written = 0
    with archive.open(info) as source, target.open("wb") as sink:
        while chunk := source.read(_ZIP_CHUNK):
            written += len(chunk)
            if written > info.file_size:
                raise InputError(f"member {info.filename[:80]!r} unpacks beyond its declared size", path)
            sink.write(chunk)


def _zip(path: Path) -> list[RunRecord]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"expected a zip archive (a CI artifact): {exc}", path) from None
    with archive, tempfile.TemporaryDirectory() as tmp:
        members = archive.infolist()
        if sum(info.file_size for info in members) > MAX_ZIP_BYTES:
            raise InputError(f"unpacks to more than {MAX_ZIP_BYTES >> 30} GiB: expected a report artifact", path)
        stamps = [_checked_member(info, path) for info in members]
        for info in members:
            target = (Path(tmp) / info.filename).resolve()
            if not target.is_relative_to(Path(tmp).resolve()):
                raise InputError(f"member {info.filename!r} points outside the archive", path)
        try:
            for info in members:
                _unpack(archive, info, Path(tmp) / info.filename, path)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as exc:
            # a damaged member (bad CRC, broken stream), a method this Python lacks, a name the file system refuses
            raise InputError(f"expected a zip archive (a CI artifact) whose members unpack: {exc}", path) from None
        for info, stamp in zip(members, stamps, strict=True):  # the entry's own time is the run's
            moment = stamp.timestamp()
            os.utime(Path(tmp) / info.filename, (moment, moment))
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
