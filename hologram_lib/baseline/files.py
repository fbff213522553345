"""The baseline's forms, read and written: `hologram-baseline/3` (each metric's runs with their samples, and where
they came from), `/2` (one run with samples), the upstream flat form `{"core.verify_ms": 7.41}`, and the history
store's last green main runs (`hologram-history/1`, never a file). A bad file is an InputError naming what was
expected."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hologram_lib import atomic, stats
from hologram_lib.clock import utc_stamp
from hologram_lib.drift import RunLogs
from hologram_lib.errors import InputError
from hologram_lib.jsonfile import finite_number, unique_keys
from hologram_lib.perf.files import MAX_RUN_SIZE_RATIO, MetricData

if TYPE_CHECKING:
    from hologram_lib.history.series import HistoryRuns

SCHEMA = "hologram-baseline/3"
SCHEMA_V2 = "hologram-baseline/2"
HISTORY = "hologram-history/1"
UPSTREAM_FLAT = "upstream-flat"
NO_SAMPLES = "no samples (point estimate only)"
# Stored p95s are rounded to 6 decimals; a larger disagreement with the stored samples means an edited file.
P95_TOLERANCE = 1e-3


@dataclass(frozen=True)
class BaselineMetric:
    p95_ms: float
    n: int
    runs: tuple[np.ndarray, ...]  # each sorted; () for a point estimate
    history: RunLogs | None = None  # from the history store: one entry per earlier report, no samples
    fingerprint: dict[str, str] | None = None  # a counted metric's toolchain; counts of another are not comparable

    @property
    def samples(self) -> np.ndarray | None:
        return stats.as_sorted(np.concatenate(self.runs)) if self.runs else None

    @property
    def run_count(self) -> int:
        return len(self.history) if self.history is not None else len(self.runs)

    def logs(self) -> RunLogs:
        return self.history if self.history is not None else RunLogs.of(self.runs)


@dataclass(frozen=True)
class Baseline:
    path: str
    schema: str
    created: str | None
    provenance: dict[str, object]
    metrics: dict[str, BaselineMetric]

    @property
    def label(self) -> str:
        if self.schema == UPSTREAM_FLAT:
            return f"upstream flat form, {NO_SAMPLES}; {stats.ONE_RUN}"
        if self.schema == SCHEMA_V2:
            return f"{SCHEMA_V2}, {stats.ONE_RUN}"
        if self.schema == HISTORY:
            return f"history store: the last {self.provenance['runs']} green main runs ({self.provenance['commits']})"
        runs = sorted({len(m.runs) for m in self.metrics.values()})
        return f"{SCHEMA}, {'/'.join(map(str, runs))} runs"


def _positive_p95(value: object, key: str, path: Path) -> float:
    number = finite_number(value)
    if number is None or number <= 0:
        raise InputError(
            f"metric {key}: expected a positive p95 in ms, got {value!r:.40} (a 0 ms baseline cannot be compared)",
            path,
        )
    return number


def _samples(raw: object, key: str, what: str, path: Path) -> np.ndarray:
    if not isinstance(raw, list) or not raw:
        raise InputError(f"metric {key}: expected {what} as a list of non-negative numbers (not empty)", path)
    numbers = [finite_number(v) for v in raw]
    if any(v is None or v < 0 for v in numbers):
        raise InputError(f"metric {key}: expected {what} as a list of non-negative numbers (not empty)", path)
    return stats.as_sorted(numbers)


def read_baseline(path: Path) -> Baseline:
    """Read a hologram-baseline/3 or /2 file, or the upstream flat form {"core.verify_ms": 7.41}."""
    document = _json_object(path)
    if document.get("schema") in (SCHEMA, SCHEMA_V2):
        return _read_versioned(document, path)
    if "schema" in document:
        raise InputError(f"unknown baseline schema {document['schema']!r:.60}: expected {SCHEMA!r}", path)
    metrics = {key: BaselineMetric(_positive_p95(value, key, path), 0, ()) for key, value in document.items()}
    if not metrics:
        raise InputError("expected at least one metric in the baseline", path)
    return Baseline(str(path), UPSTREAM_FLAT, None, {}, metrics)


def _json_object(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            "no baseline found: expected a baseline.json (run `hologram baseline promote` on main, or download it)",
            path,
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read baseline: {exc}", path) from None
    try:
        document = json.loads(text, object_pairs_hook=unique_keys)
    except json.JSONDecodeError as exc:
        raise InputError(f"expected JSON ({exc.msg})", path, exc.lineno) from None
    except RecursionError:
        raise InputError("expected a JSON baseline (nested or sized beyond reason)", path) from None
    except ValueError as exc:  # a duplicate key, an integer of thousands of digits
        raise InputError(f"expected a JSON baseline ({' '.join(str(exc).split())[:120]})", path) from None
    if not isinstance(document, dict):
        raise InputError("expected a JSON object", path)
    return document


def _read_metric(key: str, entry: object, schema: str, path: Path) -> BaselineMetric:
    if not isinstance(entry, dict):
        raise InputError(
            f"metric {key}: expected an object with p95_ms, n and {'runs' if schema == SCHEMA else 'samples'}", path
        )
    runs = _read_runs(key, entry, path) if schema == SCHEMA else _read_v2_samples(key, entry, path)
    p95 = _positive_p95(entry.get("p95_ms"), key, path)
    n = finite_number(entry.get("n", 0))
    if n is None or n < 0 or n != int(n):
        raise InputError(f"metric {key}: expected n as a whole number of samples, got {entry.get('n')!r:.40}", path)
    if not runs:
        return BaselineMetric(p95, int(n), ())
    pooled = stats.as_sorted(np.concatenate(runs))
    measured = stats.quantile(pooled)
    if abs(measured - p95) > P95_TOLERANCE * max(measured, 1e-9) + 1e-6:
        raise InputError(
            f"metric {key}: p95_ms {p95:g} contradicts its own samples (their p95 is {measured:.6g}): an edited "
            "baseline? promote a new one",
            path,
        )
    return BaselineMetric(p95, len(pooled), runs, fingerprint=_fingerprint(entry.get("fingerprint"), key, path))


def _read_runs(key: str, entry: dict[str, Any], path: Path) -> tuple[np.ndarray, ...]:
    """A /3 metric's runs: lists of samples of comparable size."""
    raw_runs = entry.get("runs")
    if not isinstance(raw_runs, list) or not raw_runs:
        raise InputError(f"metric {key}: expected runs as a non-empty list of runs (lists of samples)", path)
    runs = tuple(_samples(run, key, f"run {i}", path) for i, run in enumerate(raw_runs, start=1))
    sizes = [len(run) for run in runs]
    if max(sizes) > MAX_RUN_SIZE_RATIO * min(sizes):  # as in a samples file: runs are equal by construction
        raise InputError(
            f"metric {key}: runs of {min(sizes)} and {max(sizes)} samples: expected runs of comparable size", path
        )
    return runs


def _read_v2_samples(key: str, entry: dict[str, Any], path: Path) -> tuple[np.ndarray, ...]:
    """A /2 metric's one run of samples, or none (a point estimate)."""
    raw = entry.get("samples")
    return () if raw in (None, []) else (_samples(raw, key, "samples", path),)


def _fingerprint(raw: object, key: str, path: Path) -> dict[str, str] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise InputError(f"metric {key}: expected fingerprint as an object of strings", path)
    return {str(k): v for k, v in raw.items()}


def _read_versioned(document: dict[str, Any], path: Path) -> Baseline:
    schema = document["schema"]
    raw_metrics = document.get("metrics")
    if not isinstance(raw_metrics, dict) or not raw_metrics:
        raise InputError('expected a non-empty "metrics" object', path)
    metrics = {key: _read_metric(key, entry, schema, path) for key, entry in raw_metrics.items()}
    raw_provenance = document.get("provenance")
    provenance: dict[str, object] = raw_provenance if isinstance(raw_provenance, dict) else {}
    created = document.get("created") if isinstance(document.get("created"), str) else None
    return Baseline(str(path), schema, created, provenance, metrics)


def baseline_document(metrics: dict[str, MetricData], provenance: dict[str, object]) -> dict[str, object]:
    """A hologram-baseline/3 document from the measured metrics that have raw samples (runs kept apart)."""
    entries = {
        key: {
            "p95_ms": round(stats.quantile(data.samples), 6),
            "n": len(data.samples),
            "runs": [[round(float(v), 6) for v in run] for run in data.runs],
            **({"fingerprint": data.fingerprint} if data.fingerprint is not None else {}),
        }
        for key, data in sorted(metrics.items())
        if data.samples is not None and len(data.samples) and data.runs
    }
    created = utc_stamp()
    return {"schema": SCHEMA, "created": created, "provenance": provenance, "metrics": entries}


def write_baseline(path: Path, document: dict[str, object]) -> Path:
    try:
        return atomic.write_text(path, json.dumps(document, separators=(",", ":")) + "\n")
    except atomic.Unwritable as exc:  # a directory there, a file where its folder should be, no permission
        raise InputError(f"cannot write the baseline: {exc.reason}", path) from None
    except OSError as exc:
        raise InputError(f"cannot write the baseline: {exc.strerror}", path) from None


def from_history(runs: HistoryRuns) -> Baseline:
    """The last green main runs of the history store as a baseline: one run-level entry per earlier report."""
    metrics = {
        key: BaselineMetric(runs.p95_ms[key], runs.n[key], (), RunLogs(centre, runs.tail_logs[key], runs.p95_ms[key]))
        for key, centre in runs.centre_logs.items()
    }
    first, last = (runs.commits[0] or "?")[:8], (runs.commits[-1] or "?")[:8]
    origin: dict[str, object] = {"runs": len(runs.run_ids), "commits": f"{first}..{last}", "run_ids": runs.run_ids}
    return Baseline(str(runs.store), HISTORY, None, origin, metrics)
