"""The files of the paired experiments: ab.json (`hologram ab`) and noise.json (`hologram calibrate`).

Each is a typed document that owns its JSON format and schema version, as asv's `Results` owns its file: `to_json`
writes the kind, `read` checks the kind and everything a reader relies on, and a file that is not one is an
InputError naming it (exit 2, never a silent pass). The experiments write them; the judge, the pages and the CI
outputs read them — so none of those imports the measuring code, and the measuring code imports no judge.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hologram_lib import atomic, stats
from hologram_lib.clock import utc_stamp
from hologram_lib.errors import InputError
from hologram_lib.jsonfile import finite_number, unique_keys
from hologram_lib.layout import PerfDir
from hologram_lib.outcomes import Drift

AB_KIND = "hologram-ab/1"
NOISE_KIND = "hologram-noise/1"

# What every metric of a noise.json must say: its session terms decide how much evidence a comparison needs.
NOISE_FIELDS = (
    "session_sd_log_median",
    "session_sd_log_p95",
    "between_run_sd_log_median",
    "between_run_sd_log_p95",
    "aa_status",
    "aa_ratio",
    "mde_median_pct",
    "mde_p95_pct",
)


def _document(path: Path, kind: str) -> dict[str, Any] | None:
    """A JSON document of `kind` with "metrics", None when absent; anything else is an InputError."""
    if not path.exists():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=unique_keys)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(f"cannot read it as JSON ({type(exc).__name__}: {exc})", path) from None
    if not isinstance(document, dict) or document.get("kind") != kind or not isinstance(document.get("metrics"), dict):
        raise InputError(f'expected a "{kind}" document with "metrics"', path)
    return document


@dataclass(frozen=True, kw_only=True)
class AbDocument:
    """ab.json: a paired A/B of two commits. `metrics`: metric key → its paired verdict, as `drift.DriftResult`
    fields; `counted`: the instruction counts' fingerprint, spread and attribution, or None with `counted_note`
    saying why (valgrind absent under --measure auto)."""

    base: dict[str, str]
    head: dict[str, Any]
    runs_per_side: int
    threshold_pct: float
    passed: bool
    metrics: dict[str, dict[str, Any]]
    counted: dict[str, Any] | None = None
    counted_note: str | None = None
    created: str = field(default_factory=utc_stamp)
    alpha: float = stats.RUN_DRIFT_ALPHA
    tail_alpha: float = stats.TAIL_DRIFT_ALPHA

    @property
    def regressed(self) -> list[str]:
        return [key for key, m in self.metrics.items() if m["status"] == Drift.REGRESSED]

    def to_json(self) -> dict[str, object]:
        document: dict[str, object] = {
            "kind": AB_KIND,
            "created": self.created,
            "base": self.base,
            "head": self.head,
            "runs_per_side": self.runs_per_side,
            "paired": True,
            "threshold_pct": self.threshold_pct,
            "alpha": self.alpha,
            "tail_alpha": self.tail_alpha,
            "passed": self.passed,
            "metrics": dict(sorted(self.metrics.items())),
            "counted": self.counted,
        }
        if self.counted is None:
            document["counted_note"] = self.counted_note
        return document

    def write(self, perf_dir: Path) -> Path:
        return atomic.write_json(PerfDir(perf_dir).ab, self.to_json())

    @classmethod
    def read(cls, path: Path) -> AbDocument:
        """ab.json as `hologram ab` wrote it; anything else is an InputError (never a silent pass)."""
        document = _document(path, AB_KIND)
        if document is None:
            raise InputError("no paired A/B verdicts here (run `hologram ab --base REF`)", path)
        statuses = {str(s) for s in Drift}
        metrics, base = document["metrics"], document.get("base")
        if (
            not metrics
            or not all(isinstance(m, dict) and m.get("status") in statuses for m in metrics.values())
            or not isinstance(base, dict)
            or not isinstance(base.get("ref"), str)
            or not isinstance(document.get("runs_per_side"), int)
            or not isinstance(document.get("passed"), bool)
        ):
            raise InputError(
                f"expected a {AB_KIND} document as `hologram ab` writes it (metrics with known statuses, base.ref, "
                "runs_per_side, passed)",
                path,
            )
        regressed = any(m["status"] == Drift.REGRESSED for m in metrics.values())
        if document["passed"] is regressed:
            raise InputError('"passed" contradicts the metrics\' statuses: an edited file?', path)
        head, counted = document.get("head"), document.get("counted")
        threshold = finite_number(document.get("threshold_pct"))
        return cls(
            base=base,
            head=head if isinstance(head, dict) else {},
            runs_per_side=document["runs_per_side"],
            threshold_pct=threshold if threshold is not None else float("nan"),
            passed=document["passed"],
            metrics=metrics,
            counted=counted if isinstance(counted, dict) else None,
            counted_note=document.get("counted_note") if isinstance(document.get("counted_note"), str) else None,
            created=str(document.get("created", "?")),
        )


@dataclass(frozen=True, kw_only=True)
class NoiseDocument:
    """noise.json: how noisy this runner is, from an A/A (`hologram calibrate`). `metrics`: metric key → its
    entry (NOISE_FIELDS and the runs a threshold needs); `counted`: the counted A/A's spread, when counted."""

    metrics: dict[str, dict[str, Any]]
    runs_per_group: int | None = None
    samples_per_run: int | None = None
    threshold_pct: float | None = None
    false_alarms: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    counted: dict[str, Any] | None = None
    created: str = field(default_factory=utc_stamp)
    alpha: float = stats.RUN_DRIFT_ALPHA

    def to_json(self) -> dict[str, object]:
        document: dict[str, object] = {
            "kind": NOISE_KIND,
            "created": self.created,
            "runs_per_group": self.runs_per_group,
            "samples_per_run": self.samples_per_run,
            "threshold_pct": self.threshold_pct,
            "alpha": self.alpha,
            "false_alarms": self.false_alarms,
            "skipped": self.skipped,
            "metrics": self.metrics,
        }
        if self.counted is not None:
            document["counted"] = self.counted
        return document

    def write(self, perf_dir: Path) -> Path:
        return atomic.write_json(PerfDir(perf_dir).noise, self.to_json())

    @classmethod
    def read(cls, perf_dir: Path) -> NoiseDocument | None:
        """noise.json as `hologram calibrate` wrote it, or None when there is none. A session term that is not a
        finite number ≥ 0 is an InputError, and none is taken below the default (a calibration can only raise it)."""
        path = PerfDir(perf_dir).noise
        document = _document(path, NOISE_KIND)
        if document is None:
            return None
        metrics: dict[str, dict[str, Any]] = {}
        for key, entry in document["metrics"].items():
            if not isinstance(entry, dict) or any(name not in entry for name in NOISE_FIELDS):
                raise InputError(f"metric {key}: expected {', '.join(NOISE_FIELDS)}", path)
            median = _finite_at_least(entry["session_sd_log_median"], stats.DEFAULT_SESSION_SD)
            p95 = _finite_at_least(entry["session_sd_log_p95"], stats.DEFAULT_SESSION_SD_P95)
            if median is None or p95 is None or median > 10 or p95 > 10:
                raise InputError(f"metric {key}: expected session sd values as finite numbers from 0 to 10", path)
            metrics[key] = {**entry, "session_sd_log_median": median, "session_sd_log_p95": p95}
        alarms, skipped, counted = document.get("false_alarms"), document.get("skipped"), document.get("counted")
        runs, samples = document.get("runs_per_group"), document.get("samples_per_run")
        return cls(
            metrics=metrics,
            runs_per_group=runs if isinstance(runs, int) else None,
            samples_per_run=samples if isinstance(samples, int) else None,
            threshold_pct=finite_number(document.get("threshold_pct")),
            false_alarms=[str(a) for a in alarms] if isinstance(alarms, list) else [],
            skipped={str(k): str(v) for k, v in skipped.items()} if isinstance(skipped, dict) else {},
            counted=counted if isinstance(counted, dict) else None,
            created=str(document.get("created", "?")),
        )


def _finite_at_least(value: object, floor: float) -> float | None:
    number = finite_number(value)
    return None if number is None or number < 0 else max(number, floor)


def read_ab(path: Path) -> AbDocument:
    return AbDocument.read(path)


def read_noise(perf_dir: Path) -> NoiseDocument | None:
    return NoiseDocument.read(perf_dir)
