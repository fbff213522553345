"""The measuring loop: warm-up, GC collected before and disabled during a batch, perf_counter_ns.

Why GC is disabled: a collection inside a timed call adds milliseconds to one sample and lands in the p95.
A sample longer than the timeout aborts the batch (an in-process call cannot be interrupted; network
calls also carry the timeout on the request itself).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

import numpy as np

from hologram_lib.errors import SampleTimeout


def measure(
    fn: Callable[[], object],
    samples: int,
    warmup: int = 0,
    timeout_s: float | None = None,
    before_each: Callable[[], object] | None = None,
    cpu_ms: list[float] | None = None,
) -> np.ndarray:
    """Call `fn` `warmup` times untimed, then `samples` times timed; return the durations in ms.

    `before_each` runs untimed before every timed call (a cold profile uses it to evict caches or drop the
    connection). `cpu_ms`, when given, receives each call's thread CPU time in ms: the time the call ran, without
    the time the process waited descheduled (what makes the wall-clock tail follow the neighbours' load).
    """
    for _ in range(warmup):
        fn()
    limit_ns = None if timeout_s is None else int(timeout_s * 1e9)
    durations = [0] * samples
    clock = time.perf_counter_ns
    cpu_clock = time.thread_time_ns
    cpu = [0] * samples
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for index in range(samples):
            if before_each is not None:
                before_each()
            cpu_start = cpu_clock()
            start = clock()
            fn()
            elapsed = clock() - start
            cpu[index] = cpu_clock() - cpu_start
            durations[index] = elapsed
            if limit_ns is not None and elapsed > limit_ns:
                raise SampleTimeout(f"sample {index + 1} took {elapsed / 1e6:.1f} ms, over the {timeout_s:g} s timeout")
    finally:
        if was_enabled:
            gc.enable()
    if cpu_ms is not None:
        cpu_ms.extend(value / 1e6 for value in cpu)
    return np.asarray(durations, dtype=np.float64) / 1e6
