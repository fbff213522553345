"""The counted measurement: instructions and estimated cycles per call, under valgrind's callgrind.

Why counts: on this machine kind the wall clock cannot see a 3 % change (the paired A/B caught +10 % in 28 of 35
jobs, the stored baseline only +40 % every time), while one `atlas.encode` under callgrind executes the same
instructions in every process to within 0.02 %. rustc's perf suite, CodSpeed and iai-callgrind count for the same
reason. What counts cannot see — I/O, lock contention, memory bandwidth, page faults, a slower CPU — is why the
wall-clock metrics stay beside them.

How one count is taken (`count_once`): a fresh `python -m hologram_lib.perf.worker SUITE --count METRIC` under
`valgrind --tool=callgrind --instr-atstart=no`, so the interpreter's start-up and imports run uninstrumented; the
worker warms the call up, then switches instrumentation on for exactly `calls` calls and off again. The switch is
callgrind's client request, issued through the compiled instrument hooks that the `pytest-codspeed` wheel ships
(`callgrind_start_instrumentation` / `callgrind_stop_instrumentation`): a maintained binary wheel, so neither a C
compiler nor valgrind's headers are needed on a runner, and its `.so` is loaded on its own (not through the
pytest plugin, which would import pytest into the measured process). One process per metric, because those hooks
offer no named dump: each profile then holds exactly one metric's region.

What would move a count without a code change is pinned: the hash seed (PYTHONHASHSEED=0), address-space
randomisation (`setarch -R` where it exists), BLAS / OpenMP threads (1), the environment (a fixed, small one: its
size shifts the stack, +0.09 % for 5 KB measured), the inputs (the suites' fixed payloads), and the cache geometry
of the simulation (CACHE_GEOMETRY, not the host's). What is left is measured by `hologram calibrate --measure
instructions` and sets the noise floor of count verdicts (`drift.COUNT_NOISE_FLOOR_PCT`).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hologram_lib import atomic
from hologram_lib.clock import utc_stamp
from hologram_lib.config import PerfKnobs
from hologram_lib.errors import CountError, InputError, ProfileError
from hologram_lib.layout import PerfDir
from hologram_lib.perf.callgrind import compress, estimated_cycles, read_profile
from hologram_lib.perf.counted_file import KIND
from hologram_lib.perf.files import ERROR_PREFIX, MetricResult
from hologram_lib.perf.hooks import hooks_path

MIN_VALGRIND = (3, 13)  # --instr-atstart and the start/stop client requests behave as used here since 3.13
# A fixed simulated cache (32 KiB 8-way L1s, 8 MiB 16-way LL, 64 B lines): the estimate must not follow the host.
CACHE_GEOMETRY = ("--I1=32768,8,64", "--D1=32768,8,64", "--LL=8388608,16,64")
COUNTED_RUNS = 2  # processes per metric: one would do for a deterministic count; a second shows that it is one
COUNTED_CALLS = 5  # calls inside the instrumented region; the per-call count divides the start/stop cost by this
COUNT_TIMEOUT_S = 600.0
PINNED_ENVIRONMENT = {
    "PYTHONHASHSEED": "0",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "LC_ALL": "C.UTF-8",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
}
COUNTED_UNITS = ("instructions", "est_cycles")
# Suites whose work is the code itself; services (graphql, ipfs, e2e) stay wall-clock: their latency is the product.
COUNTED_SUITES = ("core",)


def counted_names(wall_name: str) -> tuple[str, str]:
    """encode_1MB_ms → (encode_1MB_instructions, encode_1MB_est_cycles)."""
    stem = wall_name.removesuffix("_ms")
    return f"{stem}_instructions", f"{stem}_est_cycles"


# --- valgrind on this machine --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Valgrind:
    path: str
    version: str


def find_valgrind() -> Valgrind | str:
    """valgrind when it is usable here, else one line saying what is missing."""
    path = shutil.which("valgrind")
    if path is None:
        return "valgrind is not installed (Debian / Ubuntu: apt-get install valgrind)"
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"valgrind at {path} does not run ({exc})"
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", done.stdout)
    if done.returncode != 0 or match is None:
        return f"valgrind at {path} does not say its version"
    version = tuple(int(part or 0) for part in match.groups())
    if version[:2] < MIN_VALGRIND:
        return f"valgrind {match.group(0)} is too old: counts need {'.'.join(map(str, MIN_VALGRIND))} or newer"
    if hooks_path() is None:
        return "the pytest-codspeed wheel (callgrind instrument hooks) is not installed"
    return Valgrind(path, match.group(0))


# --- one count -----------------------------------------------------------------------------------------------------


@dataclass
class CountedSample:
    """One process's count of one metric: instructions and estimated cycles per call."""

    metric: str
    instructions: float
    est_cycles: float
    calls: int
    fingerprint: dict[str, str]
    profile: Path


def pinned_environment(knobs: PerfKnobs) -> dict[str, str]:
    """A fixed environment: the pinned variables and the knobs the measured suite reads, nothing inherited."""
    env = dict(PINNED_ENVIRONMENT)
    env["ENC_MB"] = str(knobs.enc_mb)
    if knobs.target:
        env["HOLOGRAM_TARGET"] = knobs.target
    return env


def _no_aslr() -> list[str]:
    setarch = shutil.which("setarch")
    return [setarch, platform.machine(), "-R"] if setarch and sys.platform == "linux" else []


def count_command(valgrind: Valgrind, suite: str, metric: str, calls: int, tree: Path | None, out: Path) -> list[str]:
    command = [
        *_no_aslr(),
        valgrind.path,
        "--tool=callgrind",
        "--instr-atstart=no",
        "--cache-sim=yes",
        *CACHE_GEOMETRY,
        f"--callgrind-out-file={out}",
        sys.executable,
        "-m",
        "hologram_lib.perf.worker",
        suite,
        "--samples",
        str(calls),
        "--count",
        metric,
        "--result",
        str(out.with_suffix(".result.json")),  # not stdout: the measured target may print what it likes
    ]
    return command + (["--tree", str(tree)] if tree is not None else [])


def _reply(done: subprocess.CompletedProcess[str], metric: str, result: Path) -> dict[str, object]:
    tail = " ".join(done.stderr.split())[-300:]
    try:
        reply = json.loads(result.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        reply = None
    if done.returncode != 0 or not isinstance(reply, dict):
        raise CountError(f"{metric}: the target failed under valgrind (exit {done.returncode}): {tail}")
    if "input_error" in reply:
        raise InputError(str(reply["input_error"]))
    if reply.get("error"):
        raise CountError(str(reply["error"]))
    counted = reply.get("counted")
    if not isinstance(counted, dict) or not isinstance(counted.get("fingerprint"), dict):
        raise CountError(f"{metric}: the counted worker answered without a count: {tail}")
    return counted


def count_once(
    valgrind: Valgrind, knobs: PerfKnobs, suite: str, metric: str, workdir: Path, tree: Path | None = None
) -> CountedSample:
    """One process, one metric: instructions and estimated cycles per call of its measured region."""
    out = workdir / f"{suite}.{metric}.{uuid.uuid4().hex[:8]}.callgrind"
    command = count_command(valgrind, suite, metric, COUNTED_CALLS, tree, out)
    try:
        done = subprocess.run(
            command, env=pinned_environment(knobs), capture_output=True, text=True, timeout=COUNT_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise CountError(f"{metric}: a counted run did not finish within {COUNT_TIMEOUT_S:g} s") from None
    counted = _reply(done, metric, out.with_suffix(".result.json"))
    try:
        profile = read_profile(out)
    except ProfileError as exc:
        raise CountError(str(exc)) from None
    if profile.instructions <= 0:
        raise CountError(
            f"{metric}: a count of zero instructions: callgrind's instrumentation never switched on around the calls"
        )
    fingerprint = {str(k): str(v) for k, v in dict(counted["fingerprint"]).items()}  # type: ignore[call-overload]
    fingerprint["valgrind"] = valgrind.version
    fingerprint["cache"] = " ".join(CACHE_GEOMETRY)
    return CountedSample(
        metric,
        profile.instructions / COUNTED_CALLS,
        estimated_cycles(profile.totals) / COUNTED_CALLS,
        COUNTED_CALLS,
        fingerprint,
        out,
    )


@dataclass(frozen=True)
class CountTask:
    side: int
    metric: str
    tree: Path | None


def count_tasks(
    valgrind: Valgrind, knobs: PerfKnobs, suite: str, tasks: Iterable[CountTask], workdir: Path, jobs: int | None = None
) -> list[CountedSample]:
    """Several counts at once: a count does not depend on the machine's load, so both cores can take one."""
    listed = list(tasks)
    workers = max(1, min(jobs or os.cpu_count() or 1, len(listed) or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(count_once, valgrind, knobs, suite, t.metric, workdir, t.tree) for t in listed]
        return [future.result() for future in futures]


# --- a counted collect ---------------------------------------------------------------------------------------------


@dataclass
class CountedMetric:
    """The runs of one counted metric (one wall-clock metric gives two: instructions and estimated cycles)."""

    wall_name: str
    samples: list[CountedSample] = field(default_factory=list)

    def values(self, unit: str) -> list[float]:
        return [getattr(sample, unit) for sample in self.samples]


def spread_pct(values: list[float]) -> float:
    """How far the runs of one count lie apart: (max − min) / min, in %."""
    low = min(values)
    return 100.0 * (max(values) - low) / low if low > 0 else float("inf")


def count_suite(
    valgrind: Valgrind,
    knobs: PerfKnobs,
    suite: str,
    wall_names: list[str],
    runs: int = COUNTED_RUNS,
    tree: Path | None = None,
    workdir: Path | None = None,
) -> dict[str, CountedMetric]:
    """`runs` counted processes per metric of an in-process suite."""
    with tempfile.TemporaryDirectory(prefix="hologram-counted-") as scratch:
        folder = workdir or Path(scratch)
        tasks = [CountTask(0, name, tree) for _ in range(runs) for name in wall_names]
        found = {name: CountedMetric(name) for name in wall_names}
        for sample in count_tasks(valgrind, knobs, suite, tasks, folder):
            found[sample.metric].samples.append(sample)
        for metric in found.values():
            fingerprints = {json.dumps(s.fingerprint, sort_keys=True) for s in metric.samples}
            if len(fingerprints) > 1:
                raise CountError(f"{metric.wall_name}: runs of one collect reported different toolchains")
        if workdir is None:  # the caller keeps no profiles: copy none out of the scratch folder
            for metric in found.values():
                for sample in metric.samples:
                    sample.profile.unlink(missing_ok=True)
        return found


def keep_profile(perf_dir: Path, suite: str, metric: CountedMetric) -> str:
    """The last run's profile of a metric, compressed into perf/profiles/; the others are dropped."""
    target = PerfDir(perf_dir).profiles / f"{suite}.{metric.wall_name.removesuffix('_ms')}.callgrind.gz"
    last = metric.samples[-1].profile
    for sample in metric.samples[:-1]:
        sample.profile.unlink(missing_ok=True)
    compress(last, target)
    return str(target.relative_to(perf_dir))


def counted_document(
    suite: str, counted: Mapping[str, CountedMetric], profiles: Mapping[str, str]
) -> dict[str, object]:
    """counted.json: the fingerprint, each counted metric's runs and spread, and where its profile is."""
    first = next(iter(counted.values())).samples[0]
    metrics: dict[str, object] = {}
    for name, metric in counted.items():
        for unit, key in zip(COUNTED_UNITS, counted_names(name), strict=True):
            values = metric.values(unit)
            metrics[f"{suite}.{key}"] = {
                "runs": [round(v, 3) for v in values],
                "spread_pct": round(spread_pct(values), 5),
                "calls_per_run": first.calls,
                "profile": profiles.get(name),
            }
    return {
        "kind": KIND,
        "created": utc_stamp(),
        "fingerprint": first.fingerprint,
        "pinned": {**PINNED_ENVIRONMENT, "aslr": "off (setarch -R)" if _no_aslr() else "as the system has it"},
        "metrics": metrics,
    }


def write_counted(perf_dir: Path, document: dict[str, object]) -> Path:
    return atomic.write_json(PerfDir(perf_dir).counted, document)


def unavailable(knobs: PerfKnobs) -> str | None:
    """Why this collect measures no counts (None: it does). `instructions` without valgrind is bad input (exit 2);
    `auto` without it falls back to the clock, and the caller says so in one line."""
    if knobs.measure == "wall":
        return "HOLOGRAM_MEASURE=wall"
    found = find_valgrind()
    if isinstance(found, str):
        if knobs.measure == "instructions":
            raise InputError(f"--measure instructions: {found}")
        return found
    return None


def counting_valgrind(knobs: PerfKnobs, say: Callable[[str], None]) -> Valgrind | None:
    """valgrind when this command counts (None: the wall clock alone, said through `say` unless the clock was asked
    for); `instructions` without valgrind is an InputError (exit 2) before anything is measured."""
    reason = unavailable(knobs)
    if reason is not None:
        if knobs.measure != "wall":
            say(f"counts: not measured ({reason}); the wall clock alone")
        return None
    found = find_valgrind()
    return None if isinstance(found, str) else found


def _keys(wall_names: list[str]) -> list[str]:
    return [name for wall in wall_names for name in counted_names(wall)]


def count_into(
    perf_dir: Path, suite: str, wall_names: list[str], knobs: PerfKnobs, say: Callable[[str], None]
) -> list[MetricResult]:
    """The counted metrics of one suite for `perf collect` (valgrind known to be usable: `unavailable`), with
    counted.json and the profiles written; a failed count is an error note on its metrics (the collect then exits 1),
    never a number."""
    valgrind = find_valgrind()
    if isinstance(valgrind, str):
        return [MetricResult(suite, key, None, ERROR_PREFIX + valgrind) for key in _keys(wall_names)]
    keys = _keys(wall_names)
    try:
        with tempfile.TemporaryDirectory(prefix="hologram-counted-") as scratch:
            counted = count_suite(valgrind, knobs, suite, wall_names, workdir=Path(scratch))
            profiles = {name: keep_profile(perf_dir, suite, metric) for name, metric in counted.items()}
    except CountError as exc:
        say(f"counts: failed ({exc})")
        return [MetricResult(suite, key, None, ERROR_PREFIX + f"counted: {exc}") for key in keys]
    write_counted(perf_dir, counted_document(suite, counted, profiles))
    results = []
    for wall, metric in counted.items():
        for unit, key in zip(COUNTED_UNITS, counted_names(wall), strict=True):
            values = metric.values(unit)
            results.append(MetricResult(suite, key, tuple(np.array([v]) for v in values)))
            spread = spread_pct(values)
            say(f"{suite}.{key}: {np.median(values):,.0f} per call over {len(values)} runs (spread {spread:.4f}%)")
    return results
