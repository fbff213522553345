"""`hologram ab`: the core suite of two commits (base vs head), each loaded from its own git worktree, measured in
interleaved runs and judged paired; with --measure instructions / auto also counted on both sides
(`perf.counted_ab`). The result is written as ab.json (`paired_documents.AbDocument`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from hologram_lib.config import PerfKnobs
from hologram_lib.drift import DriftResult, paired_verdicts, reach
from hologram_lib.layout import PerfDir
from hologram_lib.outcomes import Drift
from hologram_lib.paired_documents import AbDocument
from hologram_lib.perf.collect import Progress
from hologram_lib.perf.counted import Valgrind, find_valgrind, unavailable
from hologram_lib.perf.counted_ab import CountedComparison, attribution_document, attribution_lines, count_sides
from hologram_lib.perf.counted_file import is_counted
from hologram_lib.perf.interleaved import Side, interleaved_runs
from hologram_lib.perf.suites import metric_names
from hologram_lib.perf.worktrees import has_changes, repository_root, resolve_ref, worktree


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

    def document(self) -> AbDocument:
        return AbDocument(
            base=self.base,
            head=dict(self.head),
            runs_per_side=self.runs,
            threshold_pct=self.threshold_pct,
            passed=self.passed,
            metrics={key: asdict(result) for key, result in self.results.items()},
            counted=self._counted_json(),
            counted_note=self.counted_note,
        )

    def _counted_json(self) -> dict[str, object] | None:
        if self.counted is None:
            return None
        attribution = attribution_document(self.counted, self.results)
        return {
            "fingerprint": self.counted.fingerprint,
            "spread_pct": self.counted.spread_pct,
            "attribution": attribution["metrics"],
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
    dirty = head_ref is None and has_changes(root)
    head: dict[str, str | bool] = {"ref": head_label, "commit": head_commit, "dirty": dirty}
    return AbReport(base, head, runs, threshold_pct, results, counted, counted_note)


def _counting(knobs: PerfKnobs | None) -> tuple[Valgrind | None, str | None]:
    """valgrind when this A/B counts, else why not (None: not asked)."""
    if knobs is None or knobs.measure == "wall":
        return None, None
    reason = unavailable(knobs)  # --measure instructions without valgrind: InputError (exit 2)
    found = find_valgrind() if reason is None else reason
    return (found, None) if isinstance(found, Valgrind) else (None, str(found))


def write_ab(perf_dir: Path, report: AbReport) -> Path:
    return report.document().write(perf_dir)
