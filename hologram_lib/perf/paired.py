"""Two sides measured in one job, run against run: `hologram ab` (base vs head) and `hologram calibrate` (A/A).

Runs of the two sides alternate A B, B A, A B, … so that run i of both sides sees the same minute of the machine
(and a linear drift cancels within each pair); the drift test is then paired. `ab` loads the measured target from a
git worktree of each ref; `calibrate` measures the same code twice and records how noisy this runner is.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hologram_lib import atomic, stats
from hologram_lib.clock import utc_stamp
from hologram_lib.config import PerfKnobs
from hologram_lib.drift import DriftResult, compare_run_sets, is_counted, reach
from hologram_lib.errors import InputError
from hologram_lib.jsonfile import finite_number, unique_keys
from hologram_lib.layout import PerfDir
from hologram_lib.perf.collect import Progress, RunRequest, RunResult, run_process
from hologram_lib.perf.counted import Valgrind, find_valgrind, unavailable
from hologram_lib.perf.counted_ab import CountedComparison, attribution_document, attribution_lines, count_sides
from hologram_lib.perf.suites import metric_names
from hologram_lib.status import Drift


@dataclass(frozen=True)
class Side:
    label: str
    tree: Path | None


def interleaved_runs(
    sides: tuple[Side, Side],
    suite: str,
    runs: int,
    samples: int,
    progress: Progress,
    env: Mapping[str, str] | None = None,
) -> tuple[dict[str, list[np.ndarray]], dict[str, list[np.ndarray]]]:
    """`runs` runs per side, alternating A B / B A; metric name → runs (sorted) for each side. A failed run is an
    InputError naming the side (a tree that does not build, a target that raises)."""
    collected: tuple[dict[str, list[np.ndarray]], dict[str, list[np.ndarray]]] = ({}, {})
    for number in range(runs):
        order = (0, 1) if number % 2 == 0 else (1, 0)
        for index in order:
            side = sides[index]
            progress.update(f"{suite} {side.label}", number + 1, runs)
            try:
                result: RunResult = run_process(RunRequest(suite, samples, tree=side.tree), env)
            except InputError as exc:
                raise InputError(f"{side.label}: {exc.one_line()}") from None
            if result.error is not None:
                raise InputError(f"{side.label}: a {suite} run failed: {result.error}")
            for name, values in result.metrics.items():
                collected[index].setdefault(name, []).append(stats.as_sorted(values))
    progress.line(f"{suite}: {runs} runs per side, interleaved")
    return collected


def paired_verdicts(
    suite: str,
    first: dict[str, list[np.ndarray]],
    second: dict[str, list[np.ndarray]],
    threshold_pct: float,
) -> dict[str, DriftResult]:
    pairs = {f"{suite}.{name}": (first[name], second[name]) for name in first if name in second}
    return compare_run_sets(pairs, threshold_pct, paired=True)


def _now() -> str:
    return utc_stamp()


# --- hologram ab ---------------------------------------------------------------------------------------------------


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=120, check=False)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "no message")


def resolve_ref(root: Path, ref: str, flag: str = "--base/--head") -> str:
    done = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if done.returncode != 0:
        raise InputError(f"{flag} {ref!r}: expected a commit, branch or tag of this repository (no such ref)")
    return done.stdout.strip()


_AB_TREE = re.compile(r"hologram-ab-[A-Za-z0-9_]+/tree")


def prune_abandoned_worktrees(root: Path) -> list[Path]:
    """Remove the worktrees of `ab` runs that were killed (SIGKILL skips their `finally`): a worktree of ours whose
    folder lock nobody holds. A running `ab` holds the lock on its folder, so its worktree is left alone."""
    from hologram_lib.errors import Busy
    from hologram_lib.locks import locked

    listing = _git(root, "worktree", "list", "--porcelain").stdout
    removed = []
    for line in listing.splitlines():
        tree = Path(line.removeprefix("worktree ")) if line.startswith("worktree ") else None
        if tree is None or not _AB_TREE.search(tree.as_posix()):
            continue
        try:
            with locked(tree.parent, wait=False):
                _git(root, "worktree", "remove", "--force", str(tree))
                shutil.rmtree(tree.parent, ignore_errors=True)
                removed.append(tree)
        except Busy:
            continue
    _git(root, "worktree", "prune")
    return removed


@contextmanager
def worktree(root: Path, commit: str) -> Iterator[Path]:
    """A detached git worktree of `commit` in a temp dir, removed afterwards whatever happens (or, after a SIGKILL,
    by the next run: the folder's lock is held while the worktree is in use)."""
    from hologram_lib.locks import locked

    prune_abandoned_worktrees(root)
    parent = Path(tempfile.mkdtemp(prefix="hologram-ab-"))
    tree = parent / "tree"
    try:
        with locked(parent):
            done = _git(root, "worktree", "add", "--detach", str(tree), commit)
            if done.returncode != 0:
                raise InputError(f"cannot create a git worktree of {commit[:12]}: {_first_line(done.stderr)}")
            yield tree
    finally:
        _git(root, "worktree", "remove", "--force", str(tree))
        shutil.rmtree(parent, ignore_errors=True)
        _git(root, "worktree", "prune")


def repository_root(start: Path, command: str = "ab") -> Path:
    done = _git(start, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        reason = _first_line(done.stderr)
        raise InputError(f"hologram {command}: expected to run inside a git checkout ({reason})", start)
    return Path(done.stdout.strip())


@dataclass(frozen=True)
class AbReport:
    base: dict[str, str]
    head: dict[str, str | bool]
    runs: int
    threshold_pct: float
    results: dict[str, DriftResult]
    counted: CountedComparison | None = None
    counted_note: str | None = None  # why there are no counts (valgrind absent under --measure auto)

    @property
    def passed(self) -> bool:
        return not any(r.status == Drift.REGRESSED for r in self.results.values())

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": "hologram-ab/1",
            "created": _now(),
            "base": self.base,
            "head": self.head,
            "runs_per_side": self.runs,
            "paired": True,
            "threshold_pct": self.threshold_pct,
            "alpha": stats.RUN_DRIFT_ALPHA,
            "tail_alpha": stats.TAIL_DRIFT_ALPHA,
            "passed": self.passed,
            "metrics": {key: asdict(result) for key, result in sorted(self.results.items())},  # written by write_json
            **self._counted_dict(),
        }

    def _counted_dict(self) -> dict[str, object]:
        if self.counted is None:
            return {"counted": None, "counted_note": self.counted_note}
        attribution = attribution_document(self.counted, self.results)
        return {
            "counted": {
                "fingerprint": self.counted.fingerprint,
                "spread_pct": self.counted.spread_pct,
                "attribution": attribution["metrics"],
            }
        }

    def lines(self) -> list[str]:
        head = "PASS" if self.passed else "FAIL"
        out = [
            f"ab: {head}: head {self.head['ref']} ({str(self.head['commit'])[:12]}) vs base {self.base['ref']} "
            f"({self.base['commit'][:12]}), {self.runs} interleaved runs per side, threshold {self.threshold_pct:g}%"
        ]
        for key, r in sorted(self.results.items()):
            if is_counted(key):
                out.append(
                    f"  {r.status.upper():<12} {key}: count ×{r.ratio:.4f} ({100 * (r.ratio - 1):+.2f}%), flags "
                    f"≥{r.mde_pct:g}%" + (f"; {r.note}" if r.note else "")
                )
                continue
            out.append(
                f"  {r.status.upper():<12} {key}: median ×{r.ratio:.3f} [{r.interval_label()} {r.ci_low:.3f}–"
                f"{r.ci_high:.3f}], could flag ≥{reach(r.mde_pct, r.runs_current)}; p95 ×{r.tail_ratio or math.nan:.3f}"
                f", could flag ≥{reach(r.tail_mde_pct, r.runs_current)}" + (f"; {r.note}" if r.note else "")
            )
        if self.counted is not None:
            out += attribution_lines(self.counted, self.results)
        elif self.counted_note:
            out.append(f"  counts: not measured ({self.counted_note}); the wall clock alone judged")
        return out


def run_ab(
    start: Path,
    base_ref: str,
    head_ref: str | None,
    runs: int,
    samples: int,
    threshold_pct: float,
    progress: Progress,
    env: Mapping[str, str] | None = None,
    *,
    knobs: PerfKnobs | None = None,
    perf_dir: Path | None = None,
) -> AbReport:
    """Measure the core suite of base and head (their own target code) in interleaved runs; paired verdicts. With
    knobs.measure instructions / auto, the core metrics are also counted on both sides (`perf.counted_ab`)."""
    root = repository_root(start)
    base_commit = resolve_ref(root, base_ref)
    head_commit = resolve_ref(root, head_ref) if head_ref else resolve_ref(root, "HEAD")
    head_label = head_ref or "working tree"
    count_with, counted_note = _counting(knobs)

    def measure(sides: tuple[Side, Side]) -> tuple[dict[str, DriftResult], CountedComparison | None]:
        base_runs, head_runs = interleaved_runs(sides, "core", runs, samples, progress, env)
        results = paired_verdicts("core", base_runs, head_runs, threshold_pct)
        if count_with is None or knobs is None:
            return results, None
        profiles = PerfDir(perf_dir).profiles / "ab" if perf_dir is not None else None
        names = metric_names("core", knobs)
        counted = count_sides(
            count_with, knobs, "core", names, (sides[0].tree, sides[1].tree), threshold_pct, profiles, progress.line
        )
        return {**results, **counted.results}, counted

    with worktree(root, base_commit) as base_tree:
        if head_ref:
            with worktree(root, head_commit) as head_tree:
                results, counted = measure((Side(f"base {base_ref}", base_tree), Side(f"head {head_ref}", head_tree)))
        else:
            results, counted = measure((Side(f"base {base_ref}", base_tree), Side("head (working tree)", root)))
    base = {"ref": base_ref, "commit": base_commit}
    # The verdict uses an A/B only for the commit it judges; a working tree with changes is that commit plus them.
    dirty = head_ref is None and bool(_git(root, "status", "--porcelain", "--untracked-files=no").stdout.strip())
    head: dict[str, str | bool] = {"ref": head_label, "commit": head_commit, "dirty": dirty}
    return AbReport(base, head, runs, threshold_pct, results, counted, counted_note)


def _counting(knobs: PerfKnobs | None) -> tuple[Valgrind | None, str | None]:
    """valgrind when this A/B counts, else why not (None: not asked)."""
    if knobs is None or knobs.measure == "wall":
        return None, None
    reason = unavailable(knobs)  # --measure instructions without valgrind: InputError (exit 2)
    found = find_valgrind() if reason is None else reason
    return (found, None) if isinstance(found, Valgrind) else (None, str(found))


# --- hologram calibrate --------------------------------------------------------------------------------------------


def _spread(runs: list[np.ndarray], q: float) -> float:
    logs = np.log(np.maximum([stats.quantile(run, q) for run in runs], np.finfo(np.float64).tiny))
    return float(logs.std(ddof=1)) if len(logs) > 1 else math.nan


SESSION_BLOCK = 5  # consecutive runs that stand in for one short session when measuring the session term


def session_sd(time_ordered: list[np.ndarray], q: float, floor: float) -> float:
    """The log-sd of a session's level beyond what its runs' spread explains: blocks of consecutive runs are
    sessions; var(block means) − mean(var within a block) / block size. Floored at the default: a short
    calibration underestimates it, and an underestimate costs false alarms."""
    logs = np.log(np.maximum([stats.quantile(run, q) for run in time_ordered], np.finfo(np.float64).tiny))
    blocks = [logs[i : i + SESSION_BLOCK] for i in range(0, len(logs) - SESSION_BLOCK + 1, SESSION_BLOCK)]
    if len(blocks) < 2:
        return floor
    means = np.array([block.mean() for block in blocks])
    within = float(np.mean([block.var(ddof=1) for block in blocks])) / SESSION_BLOCK
    return max(floor, math.sqrt(max(0.0, float(means.var(ddof=1)) - within)))


def noise_entry(
    time_ordered: list[np.ndarray], per_side: int, result: DriftResult, threshold_pct: float
) -> dict[str, object]:
    """How noisy one metric is on this runner, from all the calibration runs of both groups in the order they ran."""
    runs = time_ordered
    within = float(np.median([np.log(np.maximum(run, 1e-9)).std(ddof=1) for run in runs]))
    spread_median, spread_p95 = _spread(runs, 0.5), _spread(runs, stats.P95)
    session_median = session_sd(runs, 0.5, stats.DEFAULT_SESSION_SD)
    session_p95 = session_sd(runs, stats.P95, stats.DEFAULT_SESSION_SD_P95)
    df = 2.0 * per_side - 2.0
    se_scale = math.sqrt(2.0 / per_side)
    return {
        "runs": len(runs),
        "between_run_sd_log_median": round(spread_median, 5),
        "between_run_sd_log_p95": round(spread_p95, 5),
        "within_run_sd_log": round(within, 5),
        "session_sd_log_median": round(session_median, 5),
        "session_sd_log_p95": round(session_p95, 5),
        "aa_status": result.status,
        "aa_ratio": round(result.ratio, 5),
        "mde_median_pct": round(100.0 * stats.run_mde(spread_median * se_scale, df), 2),
        "mde_p95_pct": round(100.0 * stats.run_mde(spread_p95 * se_scale, df, stats.TAIL_DRIFT_ALPHA), 2),
        # Against a stored baseline (a separate session); None: no number of runs can, only a paired A/B.
        f"runs_for_{threshold_pct:g}pct_median": stats.runs_to_detect(
            spread_median, threshold_pct / 100.0, session_sd=session_median
        ),
        f"runs_for_{threshold_pct:g}pct_p95": stats.runs_to_detect(
            spread_p95, threshold_pct / 100.0, stats.TAIL_DRIFT_ALPHA, session_sd=session_p95
        ),
    }


def calibrate(
    suites: list[str],
    runs: int,
    samples: int,
    threshold_pct: float,
    progress: Progress,
    skip_reasons: Mapping[str, str | None],
    env: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """An A/A: two interleaved groups of `runs` runs of the same code per suite → the noise.json document."""
    metrics: dict[str, object] = {}
    skipped: dict[str, str] = {}
    sides = (Side("A", None), Side("A'", None))
    for suite in suites:
        reason = skip_reasons.get(suite)
        if reason is not None:
            skipped[suite] = reason
            progress.line(f"{suite}: skipped ({reason})")
            continue
        first, second = interleaved_runs(sides, suite, runs, samples, progress, env)
        verdicts = paired_verdicts(suite, first, second, threshold_pct)
        for name in sorted(first):
            key = f"{suite}.{name}"
            pairs = zip(first[name], second[name], strict=True)
            ordered = [run for i, pair in enumerate(pairs) for run in (pair if i % 2 == 0 else pair[::-1])]
            metrics[key] = noise_entry(ordered, runs, verdicts[key], threshold_pct)
    false_alarms = sorted(k for k, entry in metrics.items() if entry["aa_status"] == Drift.REGRESSED)  # type: ignore[index]
    return {
        "kind": "hologram-noise/1",
        "created": _now(),
        "runs_per_group": runs,
        "samples_per_run": samples,
        "threshold_pct": threshold_pct,
        "alpha": stats.RUN_DRIFT_ALPHA,
        "false_alarms": false_alarms,
        "skipped": skipped,
        "metrics": metrics,
    }


def write_noise(perf_dir: Path, document: dict[str, object]) -> Path:
    return atomic.write_json(PerfDir(perf_dir).noise, document)


def write_ab(perf_dir: Path, report: AbReport) -> Path:
    return atomic.write_json(PerfDir(perf_dir).ab, report.to_dict())


def _document(path: Path, kind: str) -> dict[str, Any] | None:
    """A JSON document of `kind`, None when absent; anything else is an InputError (never a silent pass)."""
    if not path.exists():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=unique_keys)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(f"cannot read it as JSON ({type(exc).__name__}: {exc})", path) from None
    if not isinstance(document, dict) or document.get("kind") != kind or not isinstance(document.get("metrics"), dict):
        raise InputError(f'expected a "{kind}" document with "metrics"', path)
    return document


def _finite_at_least(value: object, floor: float) -> float | None:
    number = finite_number(value)
    return None if number is None or number < 0 else max(number, floor)


def read_noise(perf_dir: Path) -> dict[str, Any] | None:
    """noise.json as `hologram calibrate` wrote it, or None when there is none. Its session terms decide how much
    evidence a comparison needs, so a value that is not a finite number ≥ 0 is an InputError, and none is taken
    below the default (a calibration can only raise it)."""
    path = PerfDir(perf_dir).noise
    document = _document(path, "hologram-noise/1")
    if document is None:
        return None
    for key, entry in document["metrics"].items():
        needed = (
            "session_sd_log_median",
            "session_sd_log_p95",
            "between_run_sd_log_median",
            "between_run_sd_log_p95",
            "aa_status",
            "aa_ratio",
            "mde_median_pct",
            "mde_p95_pct",
        )
        if not isinstance(entry, dict) or any(name not in entry for name in needed):
            raise InputError(f"metric {key}: expected {', '.join(needed)}", path)
        median = _finite_at_least(entry["session_sd_log_median"], stats.DEFAULT_SESSION_SD)
        p95 = _finite_at_least(entry["session_sd_log_p95"], stats.DEFAULT_SESSION_SD_P95)
        if median is None or p95 is None or median > 10 or p95 > 10:
            raise InputError(f"metric {key}: expected session sd values as finite numbers from 0 to 10", path)
        entry["session_sd_log_median"], entry["session_sd_log_p95"] = median, p95
    return document


def read_ab(path: Path) -> dict[str, Any]:
    """ab.json as `hologram ab` wrote it; anything else is an InputError (never a silent pass)."""
    document = _document(path, "hologram-ab/1")
    if document is None:
        raise InputError("no paired A/B verdicts here (run `hologram ab --base REF`)", path)
    statuses = {str(s) for s in Drift}
    base = document.get("base")
    if (
        not document["metrics"]
        or not all(isinstance(m, dict) and m.get("status") in statuses for m in document["metrics"].values())
        or not isinstance(base, dict)
        or not isinstance(base.get("ref"), str)
        or not isinstance(document.get("runs_per_side"), int)
        or not isinstance(document.get("passed"), bool)
    ):
        raise InputError(
            "expected a hologram-ab/1 document as `hologram ab` writes it (metrics with known statuses, base.ref, "
            "runs_per_side, passed)",
            path,
        )
    regressed = any(m["status"] == Drift.REGRESSED for m in document["metrics"].values())
    if document["passed"] is regressed:
        raise InputError('"passed" contradicts the metrics\' statuses: an edited file?', path)
    return document


def _runs(needed: object) -> str:
    return "no number of runs (use `hologram ab`)" if needed is None else f"~{needed} runs"


def noise_lines(document: dict[str, object]) -> list[str]:
    metrics: dict[str, dict[str, object]] = document["metrics"]  # type: ignore[assignment]
    alarms = document["false_alarms"]
    head = "calibrate: A/A " + ("clean" if not alarms else f"FALSE ALARM on {', '.join(alarms)}")  # type: ignore[arg-type]
    out = [f"{head} ({document['runs_per_group']} interleaved runs per group)"]
    threshold = document["threshold_pct"]
    for key, m in sorted(metrics.items()):
        out.append(
            f"  {key}: between-run sd(log) median {m['between_run_sd_log_median']}, p95 {m['between_run_sd_log_p95']}; "
            f"A/A {m['aa_status']} ×{m['aa_ratio']}; with {document['runs_per_group']} runs per side the median can "
            f"reveal ≥{m['mde_median_pct']}%, the p95 ≥{m['mde_p95_pct']}%; session sd(log) median "
            f"{m['session_sd_log_median']}; {threshold:g}% against a stored baseline needs "
            f"{_runs(m[f'runs_for_{threshold:g}pct_median'])} (median), "
            f"{_runs(m[f'runs_for_{threshold:g}pct_p95'])} (p95)"
        )
    return out
