"""What the history keeps of one report: a run (who, when, where, what was measured with which knobs) and one row of
statistics per metric. Built from a perf folder; checked before anything is stored.

One history "run" is one report's collect: K process runs per suite. Per metric it keeps the upstream summary
figures of the pooled samples (p50 / p95 / p99 / mean, n) and the **centre** and **tail** that the drift test uses:
the geometric mean of the per-process medians and p95s, with the spread of the log medians between processes.
Raw samples are not kept: 10,000 runs × 20 metrics × 2,000 samples would be 3 GB; these statistics are what the
trend charts, the change points and the history baseline need.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from hologram_lib import stats
from hologram_lib.errors import InputError
from hologram_lib.history.lanes import UNKNOWN
from hologram_lib.perf.files import MetricData

SCHEMA = "hologram-history/2"  # 2: runs are keyed by (repository, run_id); 1 had no repository (store.py migrates)
# The exchange format's columns (export writes them, import reads them): one row per run and metric.
RUN_COLUMNS = ("run_id", "recorded_at", "commit", "branch", "profile", "runner", "machine", "green", "knobs", "source")
METRIC_COLUMNS = (
    "metric", "processes", "n", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "centre_ms", "tail_ms", "spread_log",
)  # fmt: skip
# The repository came with schema 2 and is the last column, so an older export's columns keep their places; an export
# without it (or a row that leaves it empty) names no repository, and the import attributes its runs (exchange.py).
EXPORT_COLUMNS = (*RUN_COLUMNS, *METRIC_COLUMNS, "repository")
INT32_MAX = 2**31 - 1  # the store's processes / n columns are INTEGER
FUTURE_TOLERANCE = timedelta(hours=1)  # clock skew between runners allowed; beyond it a run is refused


@dataclass(frozen=True)
class MetricRow:
    metric: str
    processes: int
    n: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None = None
    mean_ms: float | None = None
    centre_ms: float | None = None  # exp(mean log per-process median); None for a summary without samples
    tail_ms: float | None = None  # exp(mean log per-process p95)
    spread_log: float | None = None  # sd of the log per-process medians (None below 2 processes)

    @property
    def level_ms(self) -> float | None:
        """The run's centre for trends and change points: the per-process centre, else the pooled p50."""
        return self.centre_ms if self.centre_ms is not None else self.p50_ms


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    recorded_at: datetime  # UTC, naive (the store keeps UTC timestamps without a zone)
    commit: str | None
    branch: str | None
    profile: str | None
    runner: str | None
    machine: str | None
    green: bool | None  # the report's overall verdict passed; None when unknown (imports)
    knobs: str  # JSON text
    source: str
    metrics: tuple[MetricRow, ...] = field(default_factory=tuple)
    repository: str = UNKNOWN  # owner/name (history/lanes.py): with run_id, what tells one run from another


def utc(moment: datetime) -> datetime:
    """A naive UTC datetime (aware ones converted; naive ones taken as UTC already)."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def metric_row(data: MetricData) -> MetricRow | None:
    """A metric's statistics, or None when it has no data (a skip or an error: nothing to trend)."""
    if data.runs:
        medians = np.array([stats.quantile(run, 0.5) for run in data.runs])
        p95s = np.array([stats.quantile(run) for run in data.runs])
        floor = 1e-9  # a 0 ms run (below the timer's resolution) must not become −inf
        log_medians = np.log(np.maximum(medians, floor))
        pooled = data.samples if data.samples is not None else stats.as_sorted(np.concatenate(data.runs))
        return MetricRow(
            data.key,
            len(data.runs),
            len(pooled),
            stats.quantile(pooled, 0.5),
            stats.quantile(pooled),
            stats.quantile(pooled, 0.99),
            float(pooled.mean()),
            _finite(float(np.exp(log_medians.mean()))),
            _finite(float(np.exp(np.log(np.maximum(p95s, floor)).mean()))),
            float(log_medians.std(ddof=1)) if len(log_medians) >= 2 else None,
        )
    if data.p95_ms is not None:
        return MetricRow(data.key, 1, data.n, None, data.p95_ms)
    return None


def check_run(record: RunRecord, where: str) -> RunRecord:
    """Refuse a run the store could not order or trend: no id, no metric, a latency that is not a positive number."""
    if not record.run_id.strip():
        raise InputError("expected a run_id (a run without one cannot be told apart from the next)", where)
    if not record.metrics:
        raise InputError(f"run {record.run_id}: expected at least one metric with data", where)
    if record.recorded_at > now_utc() + FUTURE_TOLERANCE:  # it would stay the newest, and in every baseline, for ever
        raise InputError(
            f"run {record.run_id}: dated {record.recorded_at:%Y-%m-%d %H:%M:%S} UTC, in the future: expected a time "
            f"before now + {FUTURE_TOLERANCE} (a clock that is wrong, or an edited file)",
            where,
        )
    for row in record.metrics:
        for name in ("p50_ms", "p95_ms", "p99_ms", "mean_ms", "centre_ms", "tail_ms"):
            value = getattr(row, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise InputError(f"run {record.run_id} {row.metric}: {name} expected a non-negative number", where)
        if not (0 <= row.processes <= INT32_MAX and 0 <= row.n <= INT32_MAX):
            raise InputError(f"run {record.run_id} {row.metric}: processes and n expected below 2³¹", where)
        if row.p95_ms is None and row.level_ms is None:
            raise InputError(f"run {record.run_id} {row.metric}: expected p95_ms or p50_ms", where)
    return record


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
