"""`hologram history import` of hostile files: odd zip members, bombs, deep knobs, impossible dates, Parquet files
with millions of rows and CSVs with a repeated column — each exit 2 with one line naming the file, nothing stored."""

from __future__ import annotations

import subprocess
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

from hologram_lib.history.records import EXPORT_COLUMNS
from tests.helpers import hologram

SUMMARY = "suite,metric,p50_ms,p95_ms,p99_ms,avg_ms,n,note\ncore,verify_ms,1,2,3,1,30,\n"


def _import(path: Path, store: Path) -> subprocess.CompletedProcess[str]:
    done = hologram("history", "import", str(path), "--store", str(store))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f"hologram: error: {path}"), done.stderr
    assert not store.exists()
    return done


def _zip_with(tmp_path: Path, info: zipfile.ZipInfo, data: str = SUMMARY) -> Path:
    artifact = tmp_path / "artifact.zip"
    with zipfile.ZipFile(artifact, "w") as archive:
        archive.writestr(info, data)
    return artifact


@pytest.mark.parametrize(
    ("name", "date_time", "expected"),
    [
        ("perf/core_perf.csv", (2026, 13, 32, 25, 61, 0), "has an impossible date"),
        ("perf/" + "a" * 300 + "/core_perf.csv", (2026, 1, 1, 0, 0, 0), "expected names of at most 255 bytes"),
        ("perf/../perf/core_perf.csv", (2026, 1, 1, 0, 0, 0), "expected a plain relative name"),
        ("perf/./core_perf.csv", (2026, 1, 1, 0, 0, 0), "expected a plain relative name"),
        ("perf//core_perf.csv", (2026, 1, 1, 0, 0, 0), "expected a plain relative name"),
    ],
)
def test_zip_members_with_odd_names_or_dates_are_exit_2(
    tmp_path: Path, name: str, date_time: tuple[int, ...], expected: str
) -> None:
    artifact = _zip_with(tmp_path, zipfile.ZipInfo(name, date_time))
    assert expected in _import(artifact, tmp_path / "h.duckdb").stderr


def _patched(artifact: Path, local_offset: int, central_offset: int, value: int) -> Path:
    """Set a 2-byte field of the (one) member in both its local header and the central directory."""
    data = bytearray(artifact.read_bytes())
    data[local_offset : local_offset + 2] = value.to_bytes(2, "little")
    central = data.index(b"PK\x01\x02") + central_offset
    data[central : central + 2] = value.to_bytes(2, "little")
    artifact.write_bytes(bytes(data))
    return artifact


def test_an_encrypted_member_is_exit_2(tmp_path: Path) -> None:
    artifact = _zip_with(tmp_path, zipfile.ZipInfo("perf/core_perf.csv", (2026, 1, 1, 0, 0, 0)))
    _patched(artifact, 6, 8, 0x1)  # general purpose flag bit 0: encrypted
    assert "is encrypted" in _import(artifact, tmp_path / "h.duckdb").stderr


def test_an_unknown_compression_method_is_exit_2(tmp_path: Path) -> None:
    artifact = _zip_with(tmp_path, zipfile.ZipInfo("perf/core_perf.csv", (2026, 1, 1, 0, 0, 0)))
    _patched(artifact, 8, 10, 99)  # method 99 (AES), which zipfile cannot read
    assert "uses compression method 99" in _import(artifact, tmp_path / "h.duckdb").stderr


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    """200 MiB of zeros in ≈200 KB: refused by its ratio, in well under the time unpacking would take."""
    artifact = tmp_path / "bomb.zip"
    with (
        zipfile.ZipFile(artifact, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("perf/core_perf.csv", "w", force_zip64=True) as member,
    ):
        member.write(SUMMARY.encode())
        for _ in range(200):
            member.write(bytes(1 << 20))
    assert artifact.stat().st_size < 2 << 20
    start = time.monotonic()
    assert "unpacks" in _import(artifact, tmp_path / "h.duckdb").stderr
    assert time.monotonic() - start < 30


def _export_csv(tmp_path: Path, header: list[str], row: list[str]) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(",".join(header) + "\n" + ",".join(row) + "\n")
    return path


def _row(**changes: str) -> list[str]:
    row = dict.fromkeys(EXPORT_COLUMNS, "")
    row.update(run_id="r1", recorded_at="2026-11-01T00:00:00Z", metric="core.verify_ms", n="5", p95_ms="1.5")
    row.update(changes)
    return list(row.values())


def test_knobs_nested_twenty_thousand_deep_are_exit_2(tmp_path: Path) -> None:
    deep = '{"a":' * 20_000 + "1" + "}" * 20_000
    path = _export_csv(tmp_path, list(EXPORT_COLUMNS), _row(knobs=deep))
    assert "knobs: expected a JSON object nested" in _import(path, tmp_path / "h.duckdb").stderr


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00", "10000-01-01"])
def test_a_time_out_of_range_is_exit_2(tmp_path: Path, moment: str) -> None:
    path = _export_csv(tmp_path, list(EXPORT_COLUMNS), _row(recorded_at=moment))
    assert "recorded_at: expected an ISO time" in _import(path, tmp_path / "h.duckdb").stderr


def test_a_parquet_time_beyond_pythons_years_is_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "far.parquet"
    duckdb.connect().execute(
        "COPY (SELECT 'r1' AS run_id, TIMESTAMP '20000-01-01 00:00:00' AS recorded_at, 'core.verify_ms' AS metric, "
        f"1.5 AS p95_ms) TO '{path}' (FORMAT parquet)"
    )
    _import(path, tmp_path / "h.duckdb")


def test_a_parquet_of_five_million_rows_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A few dozen KB on disk; fetching it whole took 2 GB before the first row was checked."""
    path = tmp_path / "many.parquet"
    duckdb.connect().execute(
        "COPY (SELECT 'r1' AS run_id, TIMESTAMP '2026-11-01' AS recorded_at, 'core.verify_ms' AS metric, 1.5 AS p95_ms "
        f"FROM range(5000000)) TO '{path}' (FORMAT parquet)"
    )
    assert path.stat().st_size < 1 << 20
    start = time.monotonic()
    assert "5,000,000 rows: expected at most" in _import(path, tmp_path / "h.duckdb").stderr
    assert time.monotonic() - start < 30


def test_a_repeated_csv_column_is_exit_2(tmp_path: Path) -> None:
    header = [*EXPORT_COLUMNS, "p95_ms"]
    path = _export_csv(tmp_path, header, [*_row(), "999"])
    done = _import(path, tmp_path / "h.duckdb")
    assert f"{path}:1: column 'p95_ms' appears more than once" in done.stderr
