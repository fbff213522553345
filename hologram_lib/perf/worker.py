"""One process run of one suite: `python -m hologram_lib.perf.worker SUITE --samples N [--cold] [--tree DIR]`.

`perf collect`, `calibrate` and `ab` start one of these per run, so that every run measures in a fresh interpreter
(its own memory layout, caches and scheduling: the unit of replication). The knobs come from the environment as for
`perf collect`; the result is one JSON document written to `--result FILE` (never stdout, where the measured target
may print what it likes — a target that printed JSON once forged a ×1944 regression): {"metrics": {name: [ms, …]},
"error": …, "measure_s": …}.
`--tree DIR` loads the measured target from another checkout (`hologram ab`). `--count METRIC` is the counted
measurement's mode (`perf.counted` starts it under valgrind; `--samples` is then the number of counted calls).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

from hologram_lib.credentials import perf_knobs
from hologram_lib.errors import InputError, SampleTimeout, SuiteError
from hologram_lib.perf.suites import SUITE_BUILDERS, cpu_name


def measure_run(suite_name: str, samples: int, *, cold: bool, tree: Path | None) -> dict[str, object]:
    start = time.perf_counter()
    knobs = perf_knobs(samples, cold=cold)
    try:
        suite = SUITE_BUILDERS[suite_name](knobs, tree)
    except InputError as exc:
        return {"input_error": exc.one_line()}
    except Exception as exc:  # the target or service failed before measuring: recorded, never a pass
        return {"error": _describe(exc)}
    metrics: dict[str, list[float]] = {}
    try:
        for metric in suite.metrics:
            metrics[metric.name] = [round(float(v), 6) for v in metric.sample(metric.initial_samples)]
            if metric.cpu_ms is not None:
                metrics[cpu_name(metric.name)] = [round(v, 6) for v in metric.cpu_ms]
    except Exception as exc:  # a sample timed out, a service broke, the target raised
        return {"error": _describe(exc)}
    finally:
        suite.close()
    return {"metrics": metrics, "measure_s": round(time.perf_counter() - start, 4)}


def count_run(suite_name: str, metric_name: str, calls: int, *, tree: Path | None) -> dict[str, object]:
    """The counted measurement's worker, run under callgrind with instrumentation off: build the suite, warm the
    metric's call up, then switch callgrind's instrumentation on for exactly `calls` calls. The parent reads the
    counts from the profile; this answers what the count alone cannot tell (the fingerprint, stray threads)."""
    import threading

    from hologram_lib.perf.hooks import instrumentation, process_fingerprint

    knobs = perf_knobs(1)
    try:
        suite = SUITE_BUILDERS[suite_name](knobs, tree)
    except InputError as exc:
        return {"input_error": exc.one_line()}
    except Exception as exc:
        return {"error": _describe(exc)}
    metric = next((m for m in suite.metrics if m.name == metric_name and m.call is not None), None)
    if metric is None or metric.call is None:
        return {"error": f"the {suite_name} suite has no counted metric {metric_name!r}"}
    start, stop = instrumentation()
    call = metric.call
    threads_before = threading.active_count()
    try:
        for _ in range(metric.warmup):
            call()
        gc.collect()  # as when timing: a collection inside the region would count the garbage of earlier calls
        gc.disable()
        start()
        for _ in range(calls):
            call()
        stop()
    except Exception as exc:  # the target raised: recorded, never a count
        return {"error": _describe(exc)}
    finally:
        gc.enable()
        suite.close()
    if threading.active_count() > threads_before:
        return {"error": f"{metric_name}: the target started threads, whose work callgrind serialises: not countable"}
    return {"counted": {"metric": metric_name, "calls": calls, "fingerprint": process_fingerprint()}}


def _describe(exc: Exception) -> str:
    if isinstance(exc, SuiteError | SampleTimeout):
        return str(exc)
    text = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hologram-perf-worker")
    parser.add_argument("suite", choices=sorted(SUITE_BUILDERS))
    parser.add_argument("--samples", type=int, required=True)
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--tree", type=Path)
    parser.add_argument("--count", metavar="METRIC", help="counted mode: run METRIC's call under callgrind's switch")
    parser.add_argument("--result", type=Path, required=True, help="the file the parent reads the result from")
    args = parser.parse_args(argv)
    if args.count:
        result = count_run(args.suite, args.count, args.samples, tree=args.tree)
    else:
        result = measure_run(args.suite, args.samples, cold=args.cold, tree=args.tree)
    args.result.write_text(json.dumps(result) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
