"""History beyond one repository's cache: a store keyed by repository, the migration of a schema 1 store, the
import of several exports (all or nothing, older ones without the repository column), and lanes (repository ×
machine) kept apart in the baseline, the series, the change points and the history page. Every store is a real
DuckDB file and every export a real Parquet file written by `hologram history export`."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest

from hologram_lib.history.lanes import Lane, current_lane, repository_of_remote
from hologram_lib.history.records import MetricRow, RunRecord
from hologram_lib.history.store import add_runs
from tests.helpers import ROOT, hologram, lognormal_runs

HERE = current_lane()
OTHER_REPOSITORY = "acme/worker"
OTHER_MACHINE = "Linux x86_64 · Some Other CPU · 64 cores"

# What a schema 1 store held, written out as that version created it (not taken from the product's own constant).
V1_TABLES = """
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
INSERT INTO meta VALUES ('schema', 'hologram-history/1');
"""


def _run(run_id: str, level: float, hours: int, lane: Lane = HERE, *, green: bool = True) -> RunRecord:
    rows = (MetricRow("core.encode_1MB_ms", 10, 2000, level, level * 1.1, None, None, level, level * 1.09, 0.05),)
    when = datetime(2026, 11, 1) + timedelta(hours=hours)
    return RunRecord(run_id, when, f"c{hours:07d}", "main", "main", "r", lane.machine, green, "{}", "test", rows,
                     lane.repository)  # fmt: skip


def _export(tmp_path: Path, name: str, records: list[RunRecord], out: str) -> Path:
    """A store of `records` exported by the product (`hologram history export --out OUT`)."""
    store = tmp_path / f"{name}.duckdb"
    add_runs(store, records)
    target = tmp_path / out
    done = hologram("history", "export", "--store", str(store), "--out", str(target))
    assert done.returncode == 0, done.stderr
    return target


def _stored(store: Path) -> list[tuple[str, str, str]]:
    with duckdb.connect(str(store), read_only=True) as connection:
        query = "SELECT repository, run_id, machine FROM runs ORDER BY repository, run_id"
        return [tuple(row) for row in connection.execute(query).fetchall()]


# --- where a run comes from -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("git@github.com:acme/api.git", "acme/api"),
        ("https://github.com/acme/api", "acme/api"),
        ("https://github.com/acme/api.git/", "acme/api"),
        ("ssh://git@example.com:2222/team/acme/api.git", "acme/api"),
        ("/srv/git/api.git", "git/api"),
    ],
)
def test_the_repository_is_the_remotes_owner_and_name(url: str, expected: str) -> None:
    assert repository_of_remote(url) == expected


def test_a_report_appends_its_run_with_this_repository_and_machine(tmp_path: Path, report_dir: Path) -> None:
    store = tmp_path / "h.duckdb"
    done = hologram("report", "--no-collect", "--reports-dir", str(report_dir), env={"HOLOGRAM_HISTORY": str(store),
                    "GITHUB_REPOSITORY": "acme/api"})  # fmt: skip
    assert done.returncode in (0, 1), done.stderr[-2000:]
    ((repository, _, machine),) = _stored(store)
    assert (repository, machine) == ("acme/api", HERE.machine)


# --- the schema 1 store ---------------------------------------------------------------------------------------------


def _v1_store(path: Path) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute(V1_TABLES)
        for i in range(4):
            connection.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, 'c1', 'main', 'main', 'r', ?, true, '{}', 't')",
                [f"old-{i}", i + 1, datetime(2026, 10, 1, i), datetime(2026, 10, 1, i), HERE.machine],
            )
            connection.execute(
                "INSERT INTO metrics VALUES (?, 'core.encode_1MB_ms', 3, 600, 10, 11, NULL, NULL, 10, 10.9, 0.02)",
                [f"old-{i}"],
            )
    return path


def test_an_old_store_opens_gains_the_column_and_its_runs_are_this_repositorys(tmp_path: Path) -> None:
    """Read (not written) first: a reader migrates it too; the runs are attributed to the local repository."""
    store = _v1_store(tmp_path / "h.duckdb")
    done = hologram("history", "show", "--store", str(store))
    assert done.returncode == 0, done.stderr
    assert f"{HERE.label()}:" in done.stdout and "core.encode_1MB_ms: 4 runs" in done.stdout
    assert _stored(store) == [(HERE.repository, f"old-{i}", HERE.machine) for i in range(4)]
    with duckdb.connect(str(store), read_only=True) as connection:
        meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
        metric_repositories = connection.execute("SELECT DISTINCT repository FROM metrics").fetchall()
    assert meta["schema"] == "hologram-history/2" and metric_repositories == [(HERE.repository,)]
    attributed = rf"hologram-history/1 on \S+ \S+ UTC; its runs attributed to {re.escape(HERE.repository)}"
    assert re.fullmatch(attributed, meta["migrated"]), meta
    # …and it takes new runs, keyed by repository, beside the old ones
    add_runs(store, [_run("old-0", 12.0, 100, Lane(OTHER_REPOSITORY, HERE.machine))])
    assert len(_stored(store)) == 5


def test_an_old_store_with_a_view_is_refused_not_migrated(tmp_path: Path) -> None:
    store = _v1_store(tmp_path / "h.duckdb")
    with duckdb.connect(str(store)) as connection:
        connection.execute("DROP TABLE metrics")
        connection.execute("CREATE VIEW metrics AS SELECT run_id, 'core.x_ms' AS metric, 1 AS processes, 1 AS n, "
                           "1.0 AS p50_ms, 1.0 AS p95_ms, 1.0 AS p99_ms, 1.0 AS mean_ms, 1.0 AS centre_ms, "
                           "1.0 AS tail_ms, 0.0 AS spread_log FROM runs")  # fmt: skip
    done = hologram("history", "show", "--store", str(store))
    assert done.returncode == 2 and done.stderr.startswith(f"hologram: error: {store}: history store table metrics")
    assert "hologram-history/1" in done.stderr and len(done.stderr.splitlines()) == 1
    with duckdb.connect(str(store), read_only=True) as connection:
        assert connection.execute("SELECT value FROM meta").fetchall() == [("hologram-history/1",)]


# --- several exports, one import ------------------------------------------------------------------------------------


def _two_repositories(tmp_path: Path) -> tuple[Path, Path]:
    """Two repositories' exports (a .parquet file and a folder partitioned by date) whose run ids are the same."""
    api = _export(tmp_path, "api", [_run(f"run-{i}", 10.0, i) for i in range(6)], "api.parquet")
    other = Lane(OTHER_REPOSITORY, OTHER_MACHINE)
    worker = _export(tmp_path, "worker", [_run(f"run-{i}", 30.0, i, other) for i in range(6)], "worker-history")
    return api, worker


def test_several_exports_import_at_once_kept_apart_and_once(tmp_path: Path) -> None:
    api, worker = _two_repositories(tmp_path)
    merged = tmp_path / "merged.duckdb"
    done = hologram("history", "import", str(api), str(worker), "--store", str(merged))
    assert done.returncode == 0, done.stderr
    assert f"history: imported 12 run(s) into {merged}; 0 already stored\n" == done.stdout
    assert _stored(merged) == sorted(
        [(HERE.repository, f"run-{i}", HERE.machine) for i in range(6)]
        + [(OTHER_REPOSITORY, f"run-{i}", OTHER_MACHINE) for i in range(6)]
    )
    again = hologram("history", "import", str(worker), str(api), str(worker), "--store", str(merged))
    assert again.stdout == f"history: imported 0 run(s) into {merged}; 18 already stored\n"
    shown = hologram("history", "show", "--store", str(merged)).stdout
    assert f"{OTHER_REPOSITORY} on {OTHER_MACHINE}:\n  core.encode_1MB_ms: 6 runs" in shown
    assert f"{HERE.label()}:\n  core.encode_1MB_ms: 6 runs" in shown
    # the merged store exports both repositories' runs, and that export imports back into a fresh store
    export = tmp_path / "merged.csv"
    assert hologram("history", "export", "--store", str(merged), "--out", str(export)).returncode == 0
    fresh = tmp_path / "fresh.duckdb"
    assert hologram("history", "import", str(export), "--store", str(fresh)).returncode == 0
    assert _stored(fresh) == _stored(merged)


def test_one_bad_export_among_several_stores_nothing_and_names_it(tmp_path: Path) -> None:
    api, worker = _two_repositories(tmp_path)
    foreign = tmp_path / "foreign.parquet"
    with duckdb.connect() as connection:
        connection.execute(f"COPY (SELECT 'x' AS id, 1.0 AS latency) TO '{foreign}' (FORMAT parquet)")
    truncated = tmp_path / "truncated.parquet"
    truncated.write_bytes(api.read_bytes()[:300])
    merged = tmp_path / "merged.duckdb"
    for bad, expected in ((foreign, "a foreign table: columns run_id, recorded_at, metric, p95_ms missing"),
                          (truncated, "expected Parquet written by `hologram history export`")):  # fmt: skip
        done = hologram("history", "import", str(api), str(bad), str(worker), "--store", str(merged))
        assert done.returncode == 2 and done.stderr.startswith(f"hologram: error: {bad}: {expected}"), done.stderr
        assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
        assert not merged.exists() or _stored(merged) == []  # all or nothing: the good exports are not stored


def test_an_older_export_without_the_repository_column_is_attributed(tmp_path: Path) -> None:
    """An export made before schema 2: the product's export without its repository column (exactly the older
    column set). `--repository` says whose runs they are; without it they are this repository's, and said so."""
    current = _export(tmp_path, "api", [_run(f"run-{i}", 10.0, i) for i in range(3)], "api.parquet")
    older = tmp_path / "older.parquet"
    with duckdb.connect() as connection:
        connection.execute(f"COPY (SELECT * EXCLUDE (repository) FROM '{current}') TO '{older}' (FORMAT parquet)")
        assert "repository" not in [c[0] for c in connection.execute(f"DESCRIBE SELECT * FROM '{older}'").fetchall()]
    named = tmp_path / "named.duckdb"
    done = hologram("history", "import", str(older), "--repository", "acme/legacy", "--store", str(named))
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("; 3 run(s) named no repository: attributed to acme/legacy\n")
    assert {row[0] for row in _stored(named)} == {"acme/legacy"}
    local = tmp_path / "local.duckdb"
    done = hologram("history", "import", str(older), "--store", str(local))
    assert done.stdout.endswith(f"; 3 run(s) named no repository: attributed to {HERE.repository}\n")
    # an export that names its repository keeps it, whatever --repository says
    done = hologram("history", "import", str(current), "--repository", "acme/legacy", "--store", str(named))
    assert done.stdout == f"history: imported 3 run(s) into {named}; 0 already stored\n"
    assert {row[0] for row in _stored(named)} == {"acme/legacy", HERE.repository}
    bad = hologram("history", "import", str(older), "--repository", "a\nb", "--store", str(named))
    assert bad.returncode == 2 and "--repository: repository: expected a name like owner/name" in bad.stderr


# --- lanes never mix ------------------------------------------------------------------------------------------------


def test_the_baseline_comes_from_this_repository_and_machine_only(
    tmp_path: Path, make_perf_dir: Callable[..., Path]
) -> None:
    """Green main runs of another repository (same machine) and of another machine (same repository), both newer
    and 3 × slower: neither is part of the baseline; this lane's runs are, and a regression against them is found."""
    store = tmp_path / "h.duckdb"
    ours = [_run(f"g{i}", 10.0 * float(np.exp(0.03 * np.sin(i))), i) for i in range(6)]
    theirs = [_run(f"g{i}", 30.0, 10 + i, Lane(OTHER_REPOSITORY, HERE.machine)) for i in range(6)]
    elsewhere = [_run(f"e{i}", 30.0, 20 + i, Lane(HERE.repository, OTHER_MACHINE)) for i in range(6)]
    add_runs(store, ours + theirs + elsewhere)
    slow = make_perf_dir({"core.encode_1MB_ms": lognormal_runs(15.0, 0.05, 10, 50, 3, between=0.02)}, "slow")
    done = hologram("baseline", "compare", "--perf-dir", str(slow), "--store", str(store))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "history store: the last 6 green main runs (c0000000..c0000005)" in done.stdout, done.stdout
    assert "REGRESSED    core.encode_1MB_ms" in done.stdout
    only_others = tmp_path / "others.duckdb"
    add_runs(only_others, theirs + elsewhere)
    done = hologram("baseline", "compare", "--perf-dir", str(slow), "--store", str(only_others),
                    "--baseline-source", "history")  # fmt: skip
    assert done.returncode == 2 and f"found 0 by {HERE.label()}" in done.stderr


def test_a_change_point_is_sought_inside_one_lane(tmp_path: Path) -> None:
    """Two lanes interleaved in time at 10 and 13 ms: as one series they would look like noise or shifts; per lane
    neither shifted — and a real shift in one lane is found in that lane only."""
    from hologram_lib.history.series import read_series, trends

    store = tmp_path / "h.duckdb"
    other = Lane(OTHER_REPOSITORY, HERE.machine)
    rng = np.random.default_rng(5)
    ours = [_run(f"r{i}", 10.0 * (1.3 if i >= 20 else 1.0) * float(np.exp(0.01 * rng.standard_normal())), 2 * i)
            for i in range(30)]  # fmt: skip
    theirs = [_run(f"r{i}", 13.0 * float(np.exp(0.01 * rng.standard_normal())), 2 * i + 1, other) for i in range(30)]
    add_runs(store, ours + theirs)
    mine = trends(store, last=1000)["core.encode_1MB_ms"]
    assert mine.series.run_ids == tuple(f"r{i}" for i in range(30))
    assert [c.index for c in mine.changes] == [20] and mine.changes[0].ratio == pytest.approx(1.3, rel=0.05)
    assert trends(store, last=1000, lane=other)["core.encode_1MB_ms"].changes == ()
    assert len(read_series(store, lane=Lane(OTHER_REPOSITORY, None))["core.encode_1MB_ms"].run_ids) == 30


def test_the_history_page_draws_each_repository_and_machine_as_its_own_series(tmp_path: Path) -> None:
    """Two repositories' runs on one machine, interleaved, with the same run ids: two series, each with its own
    change points (the page names a merged store's series `repository · machine`)."""
    from hologram_lib.history.browse import browse

    store = tmp_path / "h.duckdb"
    other = Lane(OTHER_REPOSITORY, HERE.machine)
    ours = [_run(f"r{i}", 10.0 * (1.3 if i >= 20 else 1.0), 2 * i) for i in range(30)]
    add_runs(store, ours + [_run(f"r{i}", 13.0, 2 * i + 1, other) for i in range(30)])
    data = browse(store, "now", repo=tmp_path)
    here, there = f"{HERE.repository} · {HERE.machine}", f"{OTHER_REPOSITORY} · {HERE.machine}"
    assert sorted(data["machines"]) == sorted([here, there])
    runs = data["runs"]
    assert len(runs["id"]) == 60 and runs["id"].count("r0") == 2  # the same run id of two repositories, twice
    assert {data["machines"][runs["machine"][i]] for i, run_id in enumerate(runs["id"]) if run_id == "r0"} == {
        here, there}  # fmt: skip
    (metric,) = data["metrics"]
    changes = [(data["machines"][c["machine"]], runs["id"][c["run"]]) for c in metric["changes"]]
    assert changes == [(here, "r20")]


# --- the docs' query ------------------------------------------------------------------------------------------------


def _docs_query() -> str:
    page = (ROOT / "docs" / "history.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- query over several exports -->\n```sql\n(.*?)```", page, re.DOTALL)
    assert found, "docs/history.md: the query over several exports is marked <!-- query over several exports -->"
    return found.group(1)


def test_the_docs_query_over_several_exports_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The exact query of docs/history.md, run in a folder holding the two artifacts it names, as the product's
    export wrote them (folders partitioned by date): one row per repository, machine and metric."""
    other = Lane(OTHER_REPOSITORY, OTHER_MACHINE)
    _export(tmp_path, "api", [_run(f"run-{i}", 10.0 + i, i) for i in range(5)], "hologram-history-api")
    _export(tmp_path, "worker", [_run(f"run-{i}", 30.0, i, other) for i in range(3)], "hologram-history-worker")
    monkeypatch.chdir(tmp_path)
    with duckdb.connect() as connection:
        rows = connection.execute(_docs_query()).fetchall()
    expected = [
        (OTHER_REPOSITORY, OTHER_MACHINE, "core.encode_1MB_ms", 3, pytest.approx(30.0), pytest.approx(33.0)),
        (HERE.repository, HERE.machine, "core.encode_1MB_ms", 5, pytest.approx(12.0), pytest.approx(13.2)),
    ]
    assert rows == sorted(expected, key=lambda row: str(row[0]))
