"""The whole store read back for a person to browse by commit (reports/history.html): every run with its
provenance, every metric's per-run figures with an interval, and the change points of each series — computed here,
so that the page only draws and divides (a ratio) and never estimates anything itself.

Series: a metric's runs of one repository on one branch and one kind of machine (the store's `machine` fingerprint,
else its `runner`): levels measured on different hardware, or of another repository's code, are not one series, and
a change point is only sought inside one. A store merged from several repositories names each series
`repository · machine` (the page draws one line per such name); a store of one repository names the machine alone.
Order: commit order — a branch's commits by the time their first run was measured, each commit's runs by time —
so repeated runs of one commit sit side by side and the axis can name the commit.

Metric keys carry their unit last (`core.verify_ms`, `core.encode_1MB_instructions`, `…_est_cycles`); any other
suffix is taken as a unit of its own, so a new kind of measurement is shown without a change here.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hologram_lib.history.series import MAIN, Series, trend
from hologram_lib.history.store import opened

SCHEMA = "hologram-history-page/1"
CONFIDENCE = 0.95
# Known unit suffixes, longest first: (suffix, kind of measurement, unit shown on the axis).
UNITS: tuple[tuple[str, str, str], ...] = (
    ("_est_cycles", "counted", "est. cycles"),
    ("_instructions", "counted", "instructions"),
    ("_ms", "wall-clock", "ms"),
)
# Columns a store may carry for the pooled p95's interval (a later schema); used when present.
P95_CI_COLUMNS = ("p95_ci_low_ms", "p95_ci_high_ms")

PAGE_RUNS = 2_000  # runs on the page by default: the newest (a page stays ≈ 2 MB and builds in about a second)
_CHOSEN = "SELECT seq FROM runs ORDER BY recorded_at DESC, seq DESC LIMIT $last"  # seq: one per stored run
_RUNS_QUERY = f"""
SELECT run_id, seq, recorded_at, "commit", branch, profile, runner, machine, green, repository FROM runs
WHERE seq IN ({_CHOSEN}) ORDER BY recorded_at, seq
"""


def unit_of(metric: str) -> tuple[str, str, str]:
    """(base name, kind, unit) of a metric key: `core.encode_1MB_ms` → (`core.encode_1MB`, wall-clock, ms)."""
    for suffix, kind, unit in UNITS:
        if metric.endswith(suffix) and len(metric) > len(suffix):
            return metric[: -len(suffix)], kind, unit
    base, sep, last = metric.rpartition("_")
    return (base, "other", last) if sep and base else (metric, "other", "")


@dataclass(frozen=True)
class Run:
    run_id: str
    recorded_at: Any  # datetime (naive UTC)
    commit: str | None
    branch: str
    profile: str | None
    runner: str | None
    machine: str  # the series it belongs to: fingerprint, else runner, else "unknown machine" (merged stores:
    # prefixed with the repository)
    green: bool | None
    seq: int  # the store's number of the run: run ids repeat across repositories
    repository: str


@dataclass
class MetricFigures:
    """One metric over all runs (index = position in `HistoryView.runs`); None where the run did not measure it."""

    key: str
    level: list[float | None]
    p95: list[float | None]
    low: list[float | None]
    high: list[float | None]
    interval: list[str | None]  # what `low`/`high` bound, per run (the p95's CI, or the centre's over processes)
    changes: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class HistoryView:
    runs: list[Run]
    metrics: dict[str, MetricFigures]
    total: int  # runs in the store (the view holds the newest `len(runs)`)


def machine_of(machine: str | None, runner: str | None) -> str:
    return machine or runner or "unknown machine"


@functools.cache
def _t_quantile(degrees: int) -> float:
    """Student's t quantile for the interval (cached: scipy takes ~0.1 ms a call, 20,000 rows would take 2 s)."""
    from scipy import stats as scipy_stats

    return float(scipy_stats.t.ppf(0.5 + CONFIDENCE / 2, degrees))


def centre_interval(centre: float, spread_log: float, processes: int) -> tuple[float, float]:
    """The 95 % interval of a run's centre (geometric mean of its per-process medians) from the spread of the log
    medians between its processes: a t-interval on the log scale, k − 1 degrees of freedom."""
    half = _t_quantile(processes - 1) * spread_log / math.sqrt(processes)
    log_centre = math.log(centre)
    return math.exp(log_centre - half), math.exp(log_centre + half)


def _metric_columns(connection: Any) -> set[str]:
    rows = connection.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'metrics'"
    ).fetchall()
    return {row[0] for row in rows}


def _metrics_query(columns: set[str]) -> str:
    ci = ", ".join(f"m.{c}" for c in P95_CI_COLUMNS) if set(P95_CI_COLUMNS) <= columns else "NULL, NULL"
    return (
        "SELECT r.seq, m.metric, coalesce(m.centre_ms, m.p50_ms), m.p95_ms, m.centre_ms, m.spread_log, "
        f"m.processes, {ci} FROM metrics m JOIN runs r USING (repository, run_id) WHERE r.seq IN ({_CHOSEN}) "
        "ORDER BY m.metric"
    )


def _interval(row: Sequence[Any]) -> tuple[float | None, float | None, str | None]:
    _, _, _, _, centre, spread, processes, ci_low, ci_high = row
    if ci_low is not None and ci_high is not None:
        return float(ci_low), float(ci_high), "p95 95% CI"
    if centre is not None and centre > 0 and spread is not None and processes is not None and processes >= 2:
        low, high = centre_interval(float(centre), float(spread), int(processes))
        return low, high, f"median 95% CI over {int(processes)} processes"
    return None, None, None


def _ordered(rows: list[tuple[Any, ...]]) -> list[Run]:
    """Runs in commit order per branch: commits by their first run's time, each commit's runs by time."""
    merged = len({row[-1] for row in rows}) > 1  # several repositories: each series says whose it is
    runs = [
        Run(run_id, at, commit, branch or "unknown branch", profile, runner,
            f"{repository} · {machine_of(machine, runner)}" if merged else machine_of(machine, runner), green, seq,
            repository)
        for run_id, seq, at, commit, branch, profile, runner, machine, green, repository in rows
    ]  # fmt: skip
    first_seen: dict[tuple[str, str], int] = {}
    for position, run in enumerate(runs):  # rows come ordered by time: the first sighting is the earliest
        first_seen.setdefault((run.branch, run.commit or run.run_id), position)
    order = sorted(range(len(runs)), key=lambda i: (first_seen[(runs[i].branch, runs[i].commit or runs[i].run_id)], i))
    return [runs[i] for i in order]


def read_view(store: Path, last: int = PAGE_RUNS) -> HistoryView:
    """The store's newest `last` runs in commit order, and every metric's figures over them (no change points yet)."""
    with opened(store, write=False) as connection:
        runs = _ordered(connection.execute(_RUNS_QUERY, {"last": last}).fetchall())
        metric_rows = connection.execute(_metrics_query(_metric_columns(connection)), {"last": last}).fetchall()
        total = int(connection.execute("SELECT count(*) FROM runs").fetchone()[0])  # type: ignore[index]
    position = {run.seq: i for i, run in enumerate(runs)}
    metrics: dict[str, MetricFigures] = {}
    for row in metric_rows:
        seq, key, level, p95 = row[0], row[1], row[2], row[3]
        figures = metrics.get(key)
        if figures is None:
            blank: list[Any] = [None] * len(runs)
            figures = metrics[key] = MetricFigures(key, list(blank), list(blank), list(blank), list(blank), blank)
        i = position[seq]
        figures.level[i] = None if level is None else float(level)
        figures.p95[i] = None if p95 is None else float(p95)
        figures.low[i], figures.high[i], figures.interval[i] = _interval(row)
    return HistoryView(runs, metrics, total)


def find_changes(view: HistoryView) -> None:
    """Change points of every series (metric × repository × branch × machine), on the per-run levels in commit
    order."""
    groups: dict[tuple[str, str, str], list[int]] = {}
    for i, run in enumerate(view.runs):
        groups.setdefault((run.repository, run.branch, run.machine), []).append(i)
    for figures in view.metrics.values():
        for (_, branch, machine), members in groups.items():
            present = [i for i in members if figures.level[i] is not None]
            if len(present) < 10:  # change_points needs two segments of 5 runs
                continue
            levels = np.array([figures.level[i] for i in present], dtype=np.float64)
            ids = tuple(view.runs[i].run_id for i in present)
            commits = tuple(view.runs[i].commit for i in present)
            found = trend(Series(figures.key, ids, commits, levels, levels))
            figures.changes += [
                {"run": present[c.index], "branch": branch, "machine": machine, "before": c.before,
                 "after": c.after, "ratio": c.ratio, "p": c.p_value}
                for c in found.changes
            ]  # fmt: skip


def _short(value: float | None) -> float | None:
    """6 significant digits: the page shows 4, and 1,000 runs × 20 metrics stay a few hundred KB."""
    return None if value is None or not math.isfinite(value) else float(f"{value:.6g}")


def _labels(values: list[str | None]) -> tuple[list[str], list[int | None]]:
    """A column of repeated strings as a table of distinct labels and an index per run (smaller JSON)."""
    table: dict[str, int] = {}
    codes = [None if v is None else table.setdefault(v, len(table)) for v in values]
    return list(table), codes


def page_data(view: HistoryView, store: Path, made: str, subjects: dict[str, str] | None = None) -> dict[str, Any]:
    """What the page embeds (JSON): runs column-wise (with their commit's subject where known), metrics with their
    figures, units and change points."""
    subjects = subjects or {}
    runs = view.runs
    branches = sorted({r.branch for r in runs}, key=lambda b: (b != MAIN, b))
    machines, machine_codes = _labels([r.machine for r in runs])
    intervals = sorted({text for f in view.metrics.values() for text in f.interval if text})
    metrics = []
    for key in sorted(view.metrics):
        figures = view.metrics[key]
        base, kind, unit = unit_of(key)
        metrics.append({
            "key": key, "base": base, "kind": kind, "unit": unit,
            "level": [_short(v) for v in figures.level], "p95": [_short(v) for v in figures.p95],
            "low": [_short(v) for v in figures.low], "high": [_short(v) for v in figures.high],
            "interval": [None if t is None else intervals.index(t) for t in figures.interval],
            "changes": [{**c, "machine": machines.index(c["machine"]), "before": _short(c["before"]),
                         "after": _short(c["after"]), "ratio": _short(c["ratio"]), "p": _short(c["p"])}
                        for c in figures.changes],
        })  # fmt: skip
    return {
        "schema": SCHEMA,
        "made": made,
        "store": str(store),
        "total": view.total,
        "branches": branches,
        "machines": machines,
        "intervals": intervals,
        "runs": {
            "id": [r.run_id for r in runs],
            "at": [r.recorded_at.strftime("%Y-%m-%d %H:%M") for r in runs],
            "commit": [r.commit for r in runs],
            "subject": [subjects.get(r.commit or "") for r in runs],
            "branch": [branches.index(r.branch) for r in runs],
            "machine": machine_codes,
            "runner": [r.runner for r in runs],
            "profile": [r.profile for r in runs],
            "green": [r.green for r in runs],
        },
        "metrics": metrics,
    }


def browse(store: Path, made: str, last: int = PAGE_RUNS, repo: Path | None = None) -> dict[str, Any]:
    """The page's data for the newest `last` runs of `store` (an InputError when it is absent or not a store);
    commit subjects from the git repository at `repo` (the working directory by default) where it has them."""
    from hologram_lib.history.commits import commit_subjects

    view = read_view(store, last)
    find_changes(view)
    subjects = commit_subjects((run.commit for run in view.runs), repo or Path.cwd())
    return page_data(view, store, made, subjects)
