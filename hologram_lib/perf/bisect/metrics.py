"""Which metrics a bisection measures: core metrics, as instruction counts or as wall clock, and the worker's
name for each."""

from __future__ import annotations

from hologram_lib.config import PerfKnobs
from hologram_lib.errors import InputError
from hologram_lib.perf.counted import counted_names
from hologram_lib.perf.suites import metric_names


def wall_name(key: str) -> str:
    """core.encode_1MB_instructions / core.encode_1MB_ms → encode_1MB_ms (the worker's metric name)."""
    name = key.removeprefix("core.")
    for suffix in ("_instructions", "_est_cycles", "_ms"):
        if name.endswith(suffix):
            return name.removesuffix(suffix) + "_ms"
    return name


def bisected_key(history_metric: str, counted: bool) -> str:
    """The metric a change point's bisection measures: on counts, a wall-clock metric's instruction count."""
    if counted and history_metric.endswith("_ms"):
        return f"core.{wall_name(history_metric).removesuffix('_ms')}_instructions"
    return history_metric


def metric_keys(requested: list[str], knobs: PerfKnobs, counted: bool) -> list[str]:
    """The metrics bisected (default: every core metric, as counts or as wall clock); an unknown one is exit 2."""
    walls = metric_names("core", knobs)
    known = [f"core.{k}" for w in walls for k in counted_names(w)] if counted else [f"core.{w}" for w in walls]
    if not requested:
        return [key for key in known if not counted or key.endswith("_instructions")]
    for key in requested:
        if key not in known:
            raise InputError(f"--metric {key}: expected one of {', '.join(known)}")
    return list(dict.fromkeys(requested))
