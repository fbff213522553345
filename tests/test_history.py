"""The history store (a real DuckDB file), its import / export, change points, and the history baseline."""

from __future__ import annotations

import csv
import multiprocessing
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from hologram_lib.history import change_points
from hologram_lib.history.records import EXPORT_COLUMNS, RunRecord
from hologram_lib.history.series import read_series
from hologram_lib.history.store import add_runs
from tests.helpers import HERE, history_run, hologram, lognormal_runs, store_with
from tests.real_noise import ENCODE, runs

NOISE = 0.05


def _levels(seed: int, n: int = 100) -> np.ndarray:
    return np.exp(NOISE * np.random.default_rng(seed).standard_normal(n))


# --- change points -------------------------------------------------------------------------------------------------


def test_ten_three_percent_steps_are_flagged_as_a_drift() -> None:
    for seed in range(20):
        steps = np.concatenate([np.zeros(20), np.repeat(np.log(1.03) * np.arange(1, 11), 10)])
        series = np.exp(steps) * _levels(seed, len(steps))
        found = change_points(series)
        assert found, f"seed {seed}: a 34 % drift in ten 3 % steps went unflagged"
        assert all(c.after > c.before and c.p_value < 0.001 for c in found)


def test_a_single_outlier_is_not_a_change_point() -> None:
    for seed in range(20):
        series = _levels(seed)
        series[40 + seed] *= 3.0
        assert change_points(series) == []


def test_noise_only_series_give_almost_no_change_points() -> None:
    flagged = sum(bool(change_points(_levels(seed))) for seed in range(300))
    assert flagged <= 6, f"{flagged} / 300 noise-only series had a change point (the README measures ~1 %)"


def test_a_step_is_located_with_its_levels_and_significance() -> None:
    series = np.concatenate([_levels(1, 40), 1.2 * _levels(2, 40)])
    (found,) = change_points(list(series))
    assert abs(found.index - 40) <= 2
    assert found.before == pytest.approx(1.0, rel=0.05) and found.after == pytest.approx(1.2, rel=0.05)
    assert found.p_value < 1e-6


def test_real_noise_run_order_nothing_changed_and_a_real_slowdown() -> None:
    """Per-process medians of the real-noise data in run (round) order: the unchanged codec has no change point;
    the first 15 runs of A followed by the last 15 of M20 (every encode × 1.2) shift at run 16."""
    a = [float(np.median(run)) for run in runs("A", ENCODE)]
    m20 = [float(np.median(run)) for run in runs("M20", ENCODE)]
    assert change_points(a) == []
    (found,) = change_points(a[:15] + m20[15:])
    assert abs(found.index - 15) <= 2 and found.after / found.before > 1.1


def test_too_short_or_unusable_series() -> None:
    assert change_points([1.0, 2.0, 3.0]) == []
    with pytest.raises(ValueError, match="finite"):
        change_points([1.0] * 10 + [float("nan")])


# --- the store ------------------------------------------------------------------------------------------------------


def _append_many(store: str, prefix: str, count: int) -> None:
    for i in range(count):
        add_runs(Path(store), [history_run(f"{prefix}-{i}", 10.0, i)])


def test_two_writers_at_once_lose_nothing(tmp_path: Path) -> None:
    store = tmp_path / "h.duckdb"
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_append_many, args=(str(store), name, 15)) for name in ("a", "b")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(120)
        assert writer.exitcode == 0
    series = read_series(store)
    assert len(series["core.verify_ms"].run_ids) == 30


def test_a_run_stored_twice_is_stored_once(tmp_path: Path) -> None:
    store = tmp_path / "h.duckdb"
    assert add_runs(store, [history_run("x", 1.0, 1), history_run("y", 1.0, 2)]) == (["x", "y"], [])
    assert add_runs(store, [history_run("x", 5.0, 1), history_run("z", 1.0, 3)]) == (["z"], ["x"])
    assert read_series(store)["core.encode_1MB_ms"].level_ms.tolist() == [1.0, 1.0, 1.0]  # first write wins


def test_clock_skew_an_older_run_takes_its_place_by_time(tmp_path: Path) -> None:
    store = tmp_path / "h.duckdb"
    add_runs(store, [history_run("late", 2.0, 10)])
    add_runs(store, [history_run("early", 1.0, 5)])  # stored second, measured first
    assert read_series(store)["core.encode_1MB_ms"].run_ids == ("early", "late")


def test_a_bad_run_is_refused_and_nothing_of_its_batch_is_stored(tmp_path: Path) -> None:
    from hologram_lib.errors import InputError

    store = tmp_path / "h.duckdb"
    bad = RunRecord("bad", datetime(2026, 1, 1), None, "main", None, None, None, None, "{}", "t", ())
    with pytest.raises(InputError, match="at least one metric"):
        add_runs(store, [history_run("good", 1.0, 1), bad])
    assert read_series(store) == {}


def test_corrupt_store_is_exit_2_naming_it(tmp_path: Path) -> None:
    store = tmp_path / "h.duckdb"
    store.write_bytes(b"this is not a database" * 100)
    done = hologram("history", "export", "--store", str(store), "--out", str(tmp_path / "x.csv"))
    assert done.returncode == 2
    assert done.stderr.startswith(f"hologram: error: {store}: ") and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_store_locked_by_another_process_is_exit_2(tmp_path: Path, make_perf_dir: Callable[..., Path]) -> None:
    import subprocess
    import sys

    store = store_with(tmp_path, [history_run("a", 1.0, 1)])
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(store)!r}); print('held', flush=True); "
         "time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        perf = make_perf_dir({"core.verify_ms": lognormal_runs(1.0, 0.1, 3, 40, 1)})
        done = hologram("history", "import", str(perf), "--store", str(store))
    finally:
        holder.kill()
        holder.communicate()
    assert done.returncode == 2
    assert "locked by another process" in done.stderr and "Traceback" not in done.stderr


def test_a_store_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    import duckdb

    store = store_with(tmp_path, [history_run("a", 1.0, 1)])
    with duckdb.connect(str(store)) as connection:
        connection.execute("UPDATE meta SET value = 'hologram-history/9' WHERE key = 'schema'")
    done = hologram("history", "show", "--store", str(store))
    assert done.returncode == 2
    assert "hologram-history/9" in done.stderr and "expected 'hologram-history/2'" in done.stderr


# --- import / export ------------------------------------------------------------------------------------------------


def test_export_and_import_round_trip_in_every_format(tmp_path: Path) -> None:
    store = store_with(tmp_path, [history_run(f"r{i}", 1.0 + i / 10, i * 1440) for i in range(4)])
    for out in (tmp_path / "x.csv", tmp_path / "x.parquet", tmp_path / "by-date"):
        done = hologram("history", "export", "--store", str(store), "--out", str(out))
        assert done.returncode == 0, done.stderr
        assert "exported 8 rows" in done.stdout
        again = tmp_path / f"{out.name}.duckdb"
        for _ in range(2):  # idempotent: the second import stores nothing new
            done = hologram("history", "import", str(out), "--store", str(again))
            assert done.returncode == 0, done.stderr
        assert "imported 0 run(s)" in done.stdout and "4 already stored" in done.stdout
        assert read_series(again)["core.encode_1MB_ms"].level_ms.tolist() == pytest.approx([1.0, 1.1, 1.2, 1.3])
    assert sorted(p.name for p in (tmp_path / "by-date").iterdir()) == [
        "date=2026-11-01", "date=2026-11-02", "date=2026-11-03", "date=2026-11-04",
    ]  # fmt: skip
    with (tmp_path / "x.csv").open() as handle:
        assert tuple(next(csv.reader(handle))) == EXPORT_COLUMNS


def test_import_of_report_artifacts_folders_zips_and_upstream_csv(
    tmp_path: Path, make_perf_dir: Callable[..., Path]
) -> None:
    import shutil

    perf = make_perf_dir({"core.verify_ms": lognormal_runs(1.0, 0.1, 3, 40, 1)}, name="artifact/perf")
    (perf.parent / "verdict.json").write_text('{"passed": true}')
    shutil.make_archive(str(tmp_path / "artifact"), "zip", perf.parent)
    upstream = tmp_path / "core_perf.csv"
    upstream.write_text("suite,metric,p50_ms,p95_ms,p99_ms,avg_ms,n,note\ncore,verify_ms,6.9,7.41,8,7,30,\n")
    store = tmp_path / "h.duckdb"
    done = hologram("history", "import", str(perf.parent), str(upstream), "--store", str(store), "--branch", "main")
    assert done.returncode == 0 and "imported 2 run(s)" in done.stdout, done.stderr
    done = hologram("history", "import", str(tmp_path / "artifact.zip"), str(upstream), "--store", str(store))
    assert "imported 0 run(s)" in done.stdout and "2 already stored" in done.stdout
    series = read_series(store)["core.verify_ms"]
    assert len(series.run_ids) == 2 and 7.41 in series.p95_ms.tolist()


def test_foreign_parquet_and_bad_rows_are_exit_2(tmp_path: Path) -> None:
    import duckdb

    foreign = tmp_path / "foreign.parquet"
    duckdb.connect().execute(f"COPY (SELECT 1 AS id, 'x' AS name) TO '{foreign}' (FORMAT parquet)")
    done = hologram("history", "import", str(foreign), "--store", str(tmp_path / "h.duckdb"))
    assert done.returncode == 2 and "foreign table: columns run_id, recorded_at, metric, p95_ms missing" in done.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text(",".join(EXPORT_COLUMNS) + "\nr1,2026-11-01T00:00:00Z,,main,,,,true,{},t,core.verify_ms,1,5,1,oops"
                   ",,,,,\n")  # fmt: skip
    done = hologram("history", "import", str(bad), "--store", str(tmp_path / "h.duckdb"))
    assert done.returncode == 2 and f"{bad}:2: p95_ms: expected a non-negative number, got 'oops'" in done.stderr
    assert not (tmp_path / "h.duckdb").exists() or read_series(tmp_path / "h.duckdb") == {}


def _export_row(**changes: str) -> str:
    row = dict.fromkeys(EXPORT_COLUMNS, "")
    row.update(run_id="r1", recorded_at="2026-11-01T00:00:00Z", metric="core.verify_ms", n="5", p95_ms="1.5")
    row.update(changes)
    return ",".join(row.values())


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (_export_row(p95_ms="-1.5"), "p95_ms: expected a non-negative number, got '-1.5'"),
        (_export_row(n="99999999999999"), "n: expected a whole number, got '99999999999999'"),
        (_export_row() + ",surplus", f"expected {len(EXPORT_COLUMNS)} fields as in the header, got more"),
        (
            _export_row() + "\n" + _export_row(recorded_at="2026-12-01T00:00:00Z", metric="core.encode_1MB_ms"),
            "run r1 recorded at 2026-11-01 00:00:00 in an earlier row: expected one time per run id",
        ),
        (_export_row(knobs="oops"), "knobs: expected a JSON object, got 'oops'"),
        (_export_row(source="x" * 200_000), "expected CSV fields (field larger than field limit (131072))"),
    ],
    ids=["negative", "beyond-int32", "surplus-field", "one-id-two-times", "knobs-not-json", "huge-field"],
)
def test_an_export_row_out_of_range_is_exit_2_naming_its_line(tmp_path: Path, row: str, expected: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(",".join(EXPORT_COLUMNS) + "\n" + row + "\n")
    done = hologram("history", "import", str(bad), "--store", str(tmp_path / "h.duckdb"))
    line = 2 + row.count("\n")  # the last row is the bad one
    assert done.returncode == 2 and done.stderr == f"hologram: error: {bad}:{line}: {expected}\n"


def test_an_export_saved_with_a_byte_order_mark_imports(tmp_path: Path) -> None:
    spreadsheet = tmp_path / "saved.csv"
    spreadsheet.write_text("\ufeff" + ",".join(EXPORT_COLUMNS) + "\n" + _export_row() + "\n", encoding="utf-8")
    done = hologram("history", "import", str(spreadsheet), "--store", str(tmp_path / "h.duckdb"))
    assert done.returncode == 0 and "imported 1 run(s)" in done.stdout, done.stderr


def test_a_bad_upstream_csv_or_zip_member_is_named_as_the_user_sees_it(tmp_path: Path) -> None:
    import zipfile

    upstream = tmp_path / "core_perf.csv"
    upstream.write_text("a,b,c\n1,2,3\n")
    artifact = tmp_path / "artifact.zip"
    with zipfile.ZipFile(artifact, "w") as archive:
        archive.writestr("perf/core_perf.csv", "a,b,c\n1,2,3\n")
    for path, named in ((upstream, f"{upstream}:1: "), (artifact, f"{artifact}/perf/core_perf.csv:1: ")):
        done = hologram("history", "import", str(path), "--store", str(tmp_path / "h.duckdb"))
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith(f"hologram: error: {named}expected a header"), done.stderr


def test_a_zip_with_a_damaged_member_is_exit_2_and_stores_nothing(tmp_path: Path) -> None:
    import zipfile

    artifact = tmp_path / "artifact.zip"
    with zipfile.ZipFile(artifact, "w") as archive:  # stored, not deflated: the bytes below are the member's
        archive.writestr("perf/core_perf.csv", "suite,metric,p95_ms,n\ncore,verify_ms,1.5,10\n")
    damaged = artifact.read_bytes().replace(b"verify_ms,1.5", b"verify_ms,9.5", 1)  # the CRC no longer matches
    artifact.write_bytes(damaged)
    store = tmp_path / "h.duckdb"
    done = hologram("history", "import", str(artifact), "--store", str(store))
    assert done.returncode == 2 and done.stderr.startswith(f"hologram: error: {artifact}: expected a zip archive")
    assert "Bad CRC-32" in done.stderr and not store.exists()


def test_a_count_beyond_the_store_is_refused_naming_the_file_not_the_store(tmp_path: Path) -> None:
    upstream = tmp_path / "core_perf.csv"
    upstream.write_text("suite,metric,p50_ms,p95_ms,p99_ms,avg_ms,n,note\ncore,verify_ms,1,2,3,1,99999999999999,\n")
    store = tmp_path / "h.duckdb"
    done = hologram("history", "import", str(upstream), "--store", str(store))
    assert done.returncode == 2 and done.stderr.startswith(f"hologram: error: {upstream}: run upstream-"), done.stderr
    assert "core.verify_ms: processes and n expected below 2³¹" in done.stderr and read_series(store) == {}


def test_export_to_a_folder_or_an_unwritable_place_is_exit_2_naming_it(tmp_path: Path) -> None:
    store = store_with(tmp_path, [history_run("r0", 1.0, 0)])
    folder = tmp_path / "taken.csv"
    folder.mkdir()
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    for out, expected in (
        (folder, "expected a .csv file to write, found a folder"),
        (blocked / "x.parquet", "cannot write the export there"),
        (Path("/proc/x.csv"), "cannot write the export there"),
    ):
        done = hologram("history", "export", "--store", str(store), "--out", str(out))
        assert done.returncode == 2 and done.stderr.startswith(f"hologram: error: {out}: {expected}"), done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "store", "taken.csv"]  # no temp file left


# --- the history baseline and the change-point gate ----------------------------------------------------------------


def test_baseline_compare_uses_the_last_green_main_runs(tmp_path: Path, make_perf_dir: Callable[..., Path]) -> None:
    green = [history_run(f"g{i}", 10.0 * float(np.exp(0.03 * np.sin(i))), i) for i in range(12)]
    others = [history_run("red", 1.0, 100, green=False), history_run("pr", 1.0, 101, branch="feature")]
    store = store_with(tmp_path, green + others)
    verify = lognormal_runs(1.0, 0.05, 10, 50, 5, between=0.02)
    slow = make_perf_dir(
        {"core.encode_1MB_ms": lognormal_runs(15.0, 0.05, 10, 50, 3, between=0.02), "core.verify_ms": verify}, "slow"
    )
    done = hologram("baseline", "compare", "--perf-dir", str(slow), "--store", str(store))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "history store: the last 10 green main runs (c0000002..c0000011)" in done.stdout
    assert "REGRESSED    core.encode_1MB_ms" in done.stdout
    same = make_perf_dir(
        {"core.encode_1MB_ms": lognormal_runs(10.0, 0.05, 10, 50, 4, between=0.02), "core.verify_ms": verify}, "same"
    )
    done = hologram("baseline", "compare", "--perf-dir", str(same), "--store", str(store))
    assert done.returncode == 0, done.stdout
    few = store_with(tmp_path / "few", green[:2])
    done = hologram("baseline", "compare", "--perf-dir", str(same), "--store", str(few))
    assert done.returncode == 2 and "no baseline found" in done.stderr  # fell back to baseline.json, absent here
    (same / "baseline.json").write_text("{}")  # a file to fall back to must not be used when history insists
    for store_of in (few, store_with(tmp_path / "empty", [])):
        done = hologram("baseline", "compare", "--perf-dir", str(same), "--store", str(store_of),
                        "--baseline-source", "history")  # fmt: skip
        assert done.returncode == 2 and done.stderr == (
            f"hologram: error: {store_of}: --baseline-source history: expected at least 3 green main runs in the "
            f"store, found {2 if store_of == few else 0} by {HERE.label()}\n"
        ), done.stderr


def test_gate_can_fail_on_a_new_change_point_on_main(tmp_path: Path, make_perf_dir: Callable[..., Path]) -> None:
    levels = np.concatenate([_levels(5, 40), 1.3 * _levels(6, 6)]) * 10.0
    store = store_with(tmp_path, [history_run(f"r{i}", float(v), i) for i, v in enumerate(levels)])
    perf = make_perf_dir({"core.encode_1MB_ms": lognormal_runs(13.0, 0.05, 10, 50, 3)})
    args = ["verdict", "--perf-dir", str(perf), "--store", str(store), "--baseline-source", "file"]
    assert "shifted on main" not in hologram(*args).stdout
    done = hologram(*args, "--fail-on-change-point")
    assert done.returncode == 1
    assert "core.encode_1MB_ms shifted on main at run 41 of 46 (commits c0000039..c0000040): ×1.3" in done.stdout


@pytest.mark.notebook
def test_a_failing_append_never_loses_the_report(tmp_path: Path, report_dir: Path) -> None:
    """The store is a directory (unwritable as a file): the report is still written, exit 0, and says so."""
    store = tmp_path / "not-a-file.duckdb"
    store.mkdir()
    done = hologram("report", "--no-collect", "--reports-dir", str(report_dir), env={"HOLOGRAM_HISTORY": str(store)})
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    said = f"history: this run was NOT appended ({store}: expected a history store file, found a directory)"
    assert said in done.stdout
    index = (report_dir / "index.html").read_text()
    assert "Verdict: FAIL" in index and "this run was NOT appended" in index


@pytest.mark.notebook
def test_the_token_never_lands_in_the_store(tmp_path: Path, report_dir: Path) -> None:
    token = "qa-secret-token-5f1d2c"  # a fake, looked for below
    store = tmp_path / "h.duckdb"
    env = {"HOLOGRAM_HISTORY": str(store), "GRAPHQL_TOKEN": token}
    done = hologram("report", "--no-collect", "--reports-dir", str(report_dir), env=env)
    assert done.returncode == 0 and "history: appended run" in done.stdout, done.stdout + done.stderr[-2000:]
    export = tmp_path / "all.csv"
    assert hologram("history", "export", "--store", str(store), "--out", str(export)).returncode == 0
    assert "GQL_SAMPLES" in export.read_text()  # the knobs are there, the token is not
    assert token not in export.read_text() and token.encode() not in store.read_bytes()


def test_a_summary_that_is_not_text_is_exit_2(tmp_path: Path) -> None:
    perf = tmp_path / "perf"
    perf.mkdir()
    (perf / "core_perf.csv").write_bytes(b"suite,metric,p95_ms,n,run_id\n\xff\xfe,\x00\n")
    done = hologram("verdict", "--perf-dir", str(perf), "--store", str(tmp_path / "h.duckdb"))
    assert done.returncode == 2 and f"{perf / 'core_perf.csv'}" in done.stderr and "Traceback" not in done.stderr
