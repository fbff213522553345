"""The store read back: each metric's series of runs in run order, its change points and its slow drift, and the
last N green main runs as a baseline — each inside one lane (history/lanes.py: one repository's runs on one kind of
machine), by default this repository on this machine: a store merged from several repositories and runners never
mixes their levels in a series, a change point or a baseline.

Run order is the time a run was measured (`recorded_at`, UTC), ties broken by the order stored. A run recorded
before the newest stored one — an import of old artifacts, or a runner whose clock is behind — takes its place by
time; the clock of the runner that measured it is trusted (documented in docs/history.md: a skewed clock misplaces its
own runs, nothing else).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from hologram_lib.config import NEW_CHANGE_RUNS, GateSettings
from hologram_lib.errors import InputError
from hologram_lib.history.changes import ChangePoint, change_points
from hologram_lib.history.lanes import Lane, current_lane
from hologram_lib.history.store import opened

MAIN = "main"
TREND_RUNS = 50  # runs per front-page trend chart


@dataclass(frozen=True)
class Series:
    """One metric over runs, oldest first: the centre (`level_ms`, per-run median) and the pooled p95."""

    metric: str
    run_ids: tuple[str, ...]
    commits: tuple[str | None, ...]
    level_ms: np.ndarray
    p95_ms: np.ndarray

    def commit_range(self, index: int) -> str:
        before = self.commits[index - 1] if index > 0 else None
        return f"{_short(before)}..{_short(self.commits[index])}"


def _short(commit: str | None) -> str:
    return commit[:8] if commit else "?"


def newest_recorded(store: Path) -> datetime | None:
    """The newest run's recorded_at (None for an empty or absent store)."""
    if not store.exists():
        return None
    with opened(store, write=False) as connection:
        row = connection.execute("SELECT max(recorded_at) FROM runs").fetchone()
    return None if row is None else row[0]


# A run's machine as a lane names it: its fingerprint, else its runner (as the history page's series, browse.py).
MACHINE_OF = "coalesce(machine, runner, 'unknown machine')"
# A lane's runs: $repository / $machine NULL match any.
_IN_LANE = f"($repository IS NULL OR repository = $repository) AND ($machine IS NULL OR {MACHINE_OF} = $machine)"
_SERIES_QUERY = f"""
SELECT m.metric, r.run_id, r."commit", coalesce(m.centre_ms, m.p50_ms) AS level, m.p95_ms
FROM runs r JOIN metrics m USING (repository, run_id)
WHERE r.seq IN (
    SELECT seq FROM runs WHERE ($branch IS NULL OR branch = $branch) AND {_IN_LANE}
    ORDER BY recorded_at DESC, seq DESC LIMIT $last)
ORDER BY m.metric, r.recorded_at, r.seq
"""


def _lane_parameters(lane: Lane | None) -> dict[str, str | None]:
    return {"repository": None, "machine": None} if lane is None else {
        "repository": lane.repository, "machine": lane.machine}  # fmt: skip


def lanes(store: Path, branch: str | None = MAIN) -> list[Lane]:
    """The lanes that hold runs of `branch` (None: any branch), the one with the newest run first."""
    query = (
        f"SELECT repository, {MACHINE_OF} FROM runs WHERE ($branch IS NULL OR branch = $branch) "
        "GROUP BY ALL ORDER BY max(recorded_at) DESC, max(seq) DESC"
    )
    with opened(store, write=False) as connection:
        found = connection.execute(query, {"branch": branch}).fetchall()
    return [Lane(repository, machine) for repository, machine in found]


def read_series(
    store: Path, *, branch: str | None = MAIN, last: int = 1_000_000, lane: Lane | None = None
) -> dict[str, Series]:
    """metric → its series over the last `last` runs of `branch` (None: every branch) in `lane`. Every caller in the
    product names its lane; None (every run as one series) is only for a store known to hold one lane."""
    with opened(store, write=False) as connection:
        parameters = {"branch": branch, "last": last, **_lane_parameters(lane)}
        rows = connection.execute(_SERIES_QUERY, parameters).fetchall()
    grouped: dict[str, list[tuple[str, str | None, float | None, float | None]]] = {}
    for metric, run_id, commit, level, p95 in rows:
        grouped.setdefault(metric, []).append((run_id, commit, level, p95))
    return {
        metric: Series(
            metric,
            tuple(r[0] for r in found),
            tuple(r[1] for r in found),
            np.array([math.nan if r[2] is None else r[2] for r in found]),
            np.array([math.nan if r[3] is None else r[3] for r in found]),
        )
        for metric, found in grouped.items()
    }


@dataclass(frozen=True)
class Trend:
    """A series with its change points (on the centre) and the slow-drift figure: the level of its last runs over
    the level of its first runs."""

    series: Series
    changes: tuple[ChangePoint, ...]
    drift_ratio: float | None

    @property
    def new_changes(self) -> tuple[ChangePoint, ...]:
        return tuple(c for c in self.changes if c.index >= len(self.series.run_ids) - NEW_CHANGE_RUNS)


def trend(series: Series) -> Trend:
    finite = np.isfinite(series.level_ms)
    levels = series.level_ms[finite]
    found = tuple(change_points(levels)) if len(levels) else ()
    if finite.all():
        changes = found
    else:  # indices into the series, not into its finite part
        positions = np.flatnonzero(finite)
        changes = tuple(ChangePoint(int(positions[c.index]), c.before, c.after, c.p_value) for c in found)
    window = min(10, len(levels) // 2)
    ratio = float(np.median(levels[-window:]) / np.median(levels[:window])) if window >= 3 else None
    return Trend(series, changes, ratio)


def trends(
    store: Path, metrics: Iterable[str] | None = None, *, last: int = TREND_RUNS, lane: Lane | None = None
) -> dict[str, Trend]:
    """Trends of main's last `last` runs in `lane` (default: this repository on this machine; all metrics, or those
    named); {} when the store does not exist."""
    if not store.exists():
        return {}
    found = read_series(store, last=last, lane=lane or current_lane())
    wanted = found if metrics is None else {k: found[k] for k in metrics if k in found}
    return {metric: trend(series) for metric, series in wanted.items()}


@dataclass(frozen=True)
class HistoryRuns:
    """The last green main runs, per metric: log centre and log tail per run (what the drift test compares)."""

    store: Path
    run_ids: tuple[str, ...]
    commits: tuple[str | None, ...]
    centre_logs: dict[str, np.ndarray]
    tail_logs: dict[str, np.ndarray]
    p95_ms: dict[str, float]
    n: dict[str, int]


_BASELINE_QUERY = f"""
WITH chosen AS (
    SELECT run_id, repository, seq, recorded_at, "commit" FROM runs
    WHERE branch = $branch AND green AND run_id <> $exclude AND {_IN_LANE}
        AND ($only::VARCHAR[] IS NULL OR list_contains($only::VARCHAR[], run_id))
    ORDER BY recorded_at DESC, seq DESC LIMIT $last)
SELECT c.run_id, c."commit", m.metric, coalesce(m.centre_ms, m.p50_ms), coalesce(m.tail_ms, m.p95_ms), m.p95_ms, m.n
FROM chosen c JOIN metrics m USING (repository, run_id) ORDER BY c.recorded_at, c.seq
"""


def green_main_runs(
    store: Path, last: int, exclude: str = "", only: tuple[str, ...] | None = None, lane: Lane | None = None
) -> HistoryRuns:
    """The last `last` green runs of main in `lane` (not `exclude`, the run being judged; among `only` when given: a
    recorded verdict re-judged on the runs it used); none when the store is absent. Green main runs are those a CI
    main build recorded after a passing verdict, or runs marked so explicitly (history/append.py): never a local
    run. The baseline (history/baseline_source.py) names this repository on this machine; lane None takes every lane."""
    rows = []
    if store.exists():
        query = {"branch": MAIN, "exclude": exclude, "last": last, "only": None if only is None else list(only),
                 **_lane_parameters(lane)}  # fmt: skip
        with opened(store, write=False) as connection:
            rows = connection.execute(_BASELINE_QUERY, query).fetchall()
    ids: dict[str, str | None] = {}
    centre: dict[str, list[float]] = {}
    tail: dict[str, list[float]] = {}
    p95: dict[str, list[float]] = {}
    n: dict[str, int] = {}
    for run_id, commit, metric, level, tail_ms, p95_ms, count in rows:
        ids.setdefault(run_id, commit)
        if level is None or level <= 0 or tail_ms is None or tail_ms <= 0:
            continue  # a 0 ms level (below the timer's resolution) has no log
        centre.setdefault(metric, []).append(math.log(level))
        tail.setdefault(metric, []).append(math.log(tail_ms))
        p95.setdefault(metric, []).append(p95_ms if p95_ms is not None else tail_ms)
        n[metric] = n.get(metric, 0) + int(count)
    return HistoryRuns(
        store,
        tuple(ids),
        tuple(ids.values()),
        {k: np.array(v) for k, v in centre.items()},
        {k: np.array(v) for k, v in tail.items()},
        {k: float(np.median(v)) for k, v in p95.items()},
        n,
    )


def run_endpoints(store: Path, run_ids: Iterable[str], lane: Lane | None = None) -> dict[str, object]:
    """run id → the endpoints its knobs recorded (None for a run recorded before endpoints were), in `lane`."""
    import json

    ids = list(run_ids)
    query = f"SELECT run_id, knobs FROM runs WHERE list_contains($ids, run_id) AND {_IN_LANE}"
    with opened(store, write=False) as connection:
        rows = connection.execute(query, {"ids": ids, **_lane_parameters(lane)})
        found = rows.fetchall()
    out: dict[str, object] = {}
    for run_id, knobs in found:
        try:
            document = json.loads(knobs)
        except ValueError:
            document = {}
        out[run_id] = document.get("endpoints") if isinstance(document, dict) else None
    return out


def drift_rows(found: dict[str, Trend], threshold_pct: float) -> list[dict[str, object]]:
    """The slow-drift table (front page and drift notebook): per metric its runs, the level of its last runs over
    its first, its change points and the latest one; `drifted` when it moved beyond the threshold through them."""
    rows: list[dict[str, object]] = []
    for metric, result in sorted(found.items()):
        latest = result.changes[-1] if result.changes else None
        ratio = result.drift_ratio
        if ratio is None and latest is None:
            continue  # too few runs for either figure: a row of "—" says nothing (its trend chart still shows)
        rows.append(
            {
                "metric": metric,
                "runs": len(result.series.run_ids),
                "last ÷ first": ratio,
                "change points": len(result.changes),
                "latest change": describe_change(result.series, latest) if latest else "",
                "drifted": ratio is not None and ratio > 1 + threshold_pct / 100 and latest is not None,
            }
        )
    return rows


def describe_change(series: Series, change: ChangePoint) -> str:
    return (
        f"run {change.index + 1} of {len(series.run_ids)} (commits {series.commit_range(change.index)}): "
        f"×{change.ratio:.3f} ({change.before:.4g} → {change.after:.4g} ms), p={change.p_value:.2g}"
    )


def show_lines(store: Path, branch: str | None, last: int) -> list[str]:
    """`hologram history show`: per lane (the newest first) and metric its level, slow drift and change points over
    the branch's last runs."""
    found_lanes = lanes(store, branch)
    if not found_lanes:
        return [f"history: no runs of {branch or 'any branch'} in {store}"]
    lines = []
    for lane in found_lanes:
        lines.append(f"{lane.label()}:")
        for metric, series in sorted(read_series(store, branch=branch, last=last, lane=lane).items()):
            result = trend(series)
            drift = f"; last runs ×{result.drift_ratio:.3f} the first" if result.drift_ratio is not None else ""
            lines.append(f"  {metric}: {len(series.run_ids)} runs{drift}; {len(result.changes)} change point(s)")
            lines += [f"    change at {describe_change(series, change)}" for change in result.changes]
    return lines


def newest_change_range(store: Path, metric: str) -> tuple[str, str]:
    """The commits on either side of `metric`'s newest change point on main (`hologram bisect --change-point`): the
    last run before it and the first after it; a store, metric or change point that is not there is an InputError."""
    if not store.exists():
        raise InputError("bisect --change-point: expected a history store here (hologram history import)", store)
    lane = current_lane()
    found = trends(store, [metric], lane=lane)
    if metric not in found:
        raise InputError(f"bisect --change-point {metric}: no runs of this metric on main by {lane.label()} in the "
                         "store", store)  # fmt: skip
    result = found[metric]
    if not result.changes:
        raise InputError(f"bisect --change-point {metric}: the store shows no change point of it on main", store)
    change = max(result.changes, key=lambda c: c.index)
    before = result.series.commits[change.index - 1] if change.index > 0 else None
    after = result.series.commits[change.index]
    if not before or not after:
        raise InputError(
            f"bisect --change-point {metric}: the runs around its change point record no commit "
            f"({result.series.commit_range(change.index)})",
            store,
        )
    return before, after


def new_shifts(store: Path, threshold_pct: float) -> Iterator[tuple[str, Trend, ChangePoint]]:
    """Each metric whose main series shifted up by more than the threshold among its last NEW_CHANGE_RUNS runs."""
    for metric, result in trends(store).items():
        for change in result.new_changes:
            if change.ratio > 1.0 + threshold_pct / 100.0:
                yield metric, result, change


def change_point_reasons(store: Path, settings: GateSettings, threshold_pct: float) -> list[str]:
    """Reasons to fail for `verdict --fail-on-change-point`: a budgeted metric with a new upward shift (new_shifts).
    No store: nothing to judge (a lost CI cache restarts the history; it does not fail the gate)."""
    return [
        f"{metric} shifted on main at {describe_change(result.series, change)}"
        for metric, result, change in new_shifts(store, threshold_pct)
        if settings.budget_for(metric) is not None
    ]


def newly_shifted_metrics(store: Path, threshold_pct: float) -> list[str]:
    """The metrics with a new upward shift on main, once each: what the nightly bisects (`history new-changes`)."""
    return sorted({metric for metric, _, _ in new_shifts(store, threshold_pct)})
