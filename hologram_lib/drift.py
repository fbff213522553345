"""Drift verdicts for one metric: has the current code's latency moved from the baseline's?

On runs (`compare_runs`, the default): one statistic per process run, because samples inside a process are not
independent of each other (they share its memory layout, caches and the machine's mood of that minute).
- The **centre** (per-run median) decides: Welch's t-test on the log medians (paired when run i of both sides ran
  side by side). `regressed` needs the ratio above 1 + threshold **and** significance at the run alpha.
- The **tail** (per-run p95) is tested the same way; it can also say `regressed`, and it is always reported with
  its interval and its minimum detectable effect, so a reader sees "on this runner the p95 can only reveal changes
  above 60 %". Its alpha is stricter, so that both tests together stay within the false-alarm target (measured
  on real runs: docs/verdicts.md's table, `python -m tests.real_noise`).
- A change beyond the threshold that is not significant is `inconclusive`, with the runs that would settle it;
  fewer than `stats.MIN_RUNS` runs on a side is `inconclusive` too — never a guess.

On one run per side (`compare_samples`, the special case): the bootstrap of the p95 ratio over samples. It is right
about one process and wrong about the next one; a baseline of one run never decides `regressed` on its own unless
the user asks for it (`--allow-one-run`).

Longer than ~400 lines for a reason: every way one metric can be compared (runs, one run, counts, paired A/B)
decides with the same `decide` and says why in the same `DriftResult`; apart, they would drift from each other.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from hologram_lib import stats
from hologram_lib.outcomes import Drift
from hologram_lib.paired_documents import NoiseDocument
from hologram_lib.perf.counted_file import is_counted

MIN_SAMPLES_FOR_BOOTSTRAP = 20
REGRESSED, IMPROVED, UNCHANGED, INCONCLUSIVE = Drift.REGRESSED, Drift.IMPROVED, Drift.UNCHANGED, Drift.INCONCLUSIVE


@dataclass(frozen=True, kw_only=True)
class DriftResult:
    """`ratio` is current / baseline: of the geometric mean of per-run medians on runs, of the p95 on one run.
    The interval is two-sided at 1 − 2·alpha (it excludes 1 exactly when the one-sided test is significant)."""

    status: Drift
    ratio: float
    ci_low: float
    ci_high: float
    mde_pct: float
    p_value: float | None = None
    note: str = ""
    tail_ratio: float | None = None
    tail_ci_low: float | None = None
    tail_ci_high: float | None = None
    tail_mde_pct: float | None = None
    tail_p_value: float | None = None
    runs_baseline: int = 1
    runs_current: int = 1
    runs_needed: int | None = None
    ci_level: float | None = None  # two-sided level of the interval, BH-adjusted (the level the decision used)
    tail_ci_level: float | None = None

    def interval_label(self, *, tail: bool = False) -> str:
        """What a printed interval is: `BH-adjusted 99.75% CI` on runs, else the plain level."""
        level = self.tail_ci_level if tail else self.ci_level
        if level is None:
            return f"{100 * (1 - 2 * stats.DRIFT_ALPHA):g}% CI"
        return f"BH-adjusted {100 * level:.6g}% CI"


# A smallest detectable change beyond this says nothing a reader can use ("could flag ≥ 223288 %"): such a row
# says how many more runs would make it judgeable instead.
MEANINGFUL_MDE_PCT = 200.0


def reach(mde_pct: float | None, runs: int) -> str:
    """The smallest change a comparison could flag, as shown everywhere: "35 %", or "cannot judge: ~N more runs
    needed" beyond MEANINGFUL_MDE_PCT (the run part of the error shrinks as 1/√runs: N brings it to the limit)."""
    if mde_pct is None or math.isnan(mde_pct):
        return "—"
    if mde_pct <= MEANINGFUL_MDE_PCT:
        return f"{mde_pct:.0f} %"
    if not math.isfinite(mde_pct):
        return "cannot judge: more runs needed"
    total = math.ceil(max(runs, 1) * (math.log1p(mde_pct / 100) / math.log1p(MEANINGFUL_MDE_PCT / 100)) ** 2)
    return f"cannot judge: ~{max(total - runs, 1)} more runs needed"


def decide(ratio: float, significant: bool, threshold_pct: float) -> Drift:
    if significant and ratio > 1.0 + threshold_pct / 100.0:
        return REGRESSED
    if significant and ratio < 1.0 - threshold_pct / 100.0:
        return IMPROVED
    return UNCHANGED


def _beyond(ratio: float, threshold_pct: float) -> bool:
    return abs(math.log(ratio)) > math.log1p(threshold_pct / 100.0) if ratio > 0 else True


@dataclass(frozen=True)
class RunEvidence:
    """The two run-level tests of one metric, before any correction for the other metrics."""

    centre: stats.RunComparison
    tail: stats.RunComparison
    spread_log: float
    runs_baseline: int
    runs_current: int
    session_sd: float = 0.0


@dataclass(frozen=True)
class RunLogs:
    """One side of a comparison as the tests see it: the log of each run's median (centre) and p95 (tail), and the
    p95 shown when there are too few runs to test. Built from runs of samples, or read from the history store
    (where each run is a whole earlier report)."""

    centre: np.ndarray
    tail: np.ndarray
    p95_ms: float

    @classmethod
    def of(cls, sorted_runs: Sequence[np.ndarray]) -> RunLogs:
        medians = np.array([stats.quantile(run, 0.5) for run in sorted_runs])
        p95s = np.array([stats.quantile(run) for run in sorted_runs])
        floor = 1e-9  # ms: a 0 ms run (below the timer's resolution) must not become −inf
        pooled = stats.quantile(stats.as_sorted(np.concatenate(sorted_runs)))
        return cls(np.log(np.maximum(medians, floor)), np.log(np.maximum(p95s, floor)), pooled)

    def __len__(self) -> int:
        return len(self.centre)


@dataclass(frozen=True)
class SessionNoise:
    """Log-sd of a session's level for the centre and the tail (see stats.DEFAULT_SESSION_SD); zero when both
    sides ran in one session (interleaved runs)."""

    median: float = 0.0
    p95: float = 0.0


SAME_SESSION = SessionNoise()
SEPARATE_SESSIONS = SessionNoise(stats.DEFAULT_SESSION_SD, stats.DEFAULT_SESSION_SD_P95)


def separate_sessions(noise: NoiseDocument | None, keys: Sequence[str]) -> dict[str, SessionNoise]:
    """Session noise per metric for separately collected sides: `hologram calibrate`'s measurement (noise.json)
    where it has one, else the default measured on this machine kind."""
    found = {}
    for key in keys:
        entry = noise.metrics.get(key) if noise is not None else None
        if isinstance(entry, Mapping) and isinstance(entry.get("session_sd_log_median"), int | float):
            found[key] = SessionNoise(float(entry["session_sd_log_median"]), float(entry["session_sd_log_p95"]))
        else:
            found[key] = SEPARATE_SESSIONS
    return found


def run_evidence(
    baseline: RunLogs, current: RunLogs, *, paired: bool, session: SessionNoise = SAME_SESSION
) -> RunEvidence | None:
    """Both tests on two sides' run statistics; None when the baseline has fewer than MIN_RUNS runs. A current side
    with fewer (one run, say) is judged against the baseline's run distribution: a prediction interval, whose spread
    the baseline's runs measure (stats.predict_run_logs) — one new run at ×321 is a regression, not "inconclusive"."""
    if len(baseline) < stats.MIN_RUNS or len(current) == 0:
        return None
    if len(current) < stats.MIN_RUNS and not paired:
        return RunEvidence(
            stats.predict_run_logs(baseline.centre, current.centre, session_sd=session.median),
            stats.predict_run_logs(baseline.tail, current.tail, alpha=stats.TAIL_DRIFT_ALPHA, session_sd=session.p95),
            float(baseline.centre.std(ddof=1)),
            len(baseline),
            len(current),
            session.median,
        )
    if len(current) < stats.MIN_RUNS:
        return None
    base_centre, base_tail, cur_centre, cur_tail = baseline.centre, baseline.tail, current.centre, current.tail
    spread = float(math.sqrt((base_centre.var(ddof=1) + cur_centre.var(ddof=1)) / 2.0))
    return RunEvidence(
        stats.compare_run_logs(base_centre, cur_centre, paired=paired, session_sd=session.median),
        stats.compare_run_logs(
            base_tail, cur_tail, paired=paired, alpha=stats.TAIL_DRIFT_ALPHA, session_sd=session.p95
        ),
        spread,
        len(baseline),
        len(current),
        session.median,
    )


def judge_runs(evidence: RunEvidence, p_centre: float, p_tail: float, threshold_pct: float) -> DriftResult:
    """The verdict from both tests, with p-values already adjusted for the other tests in the family."""
    centre, tail = evidence.centre, evidence.tail
    centre_status = decide(centre.ratio, p_centre < stats.RUN_DRIFT_ALPHA, threshold_pct)
    tail_status = decide(tail.ratio, p_tail < stats.TAIL_DRIFT_ALPHA, threshold_pct)
    note, needed = "", None
    if REGRESSED in (centre_status, tail_status):
        status = REGRESSED
        note = "" if centre_status == REGRESSED else "the tail (per-run p95) regressed; the median did not"
    elif centre_status == IMPROVED:
        status = IMPROVED
    elif _beyond(centre.ratio, threshold_pct):
        status = INCONCLUSIVE
        needed = stats.runs_to_detect(evidence.spread_log, abs(centre.ratio - 1.0), session_sd=evidence.session_sd)
        note = f"a change beyond the threshold that these runs cannot confirm: {stats.settle_hint(needed)}"
    else:
        status = UNCHANGED
    mde = 100.0 * stats.run_mde(centre.se_log, centre.df)
    tail_mde = 100.0 * stats.run_mde(tail.se_log, tail.df, stats.TAIL_DRIFT_ALPHA)
    return DriftResult(
        status=status,
        ratio=centre.ratio,
        ci_low=centre.ci_low,
        ci_high=centre.ci_high,
        mde_pct=mde,
        p_value=p_centre,
        note=note,
        tail_ratio=tail.ratio,
        tail_ci_low=tail.ci_low,
        tail_ci_high=tail.ci_high,
        tail_mde_pct=tail_mde,
        tail_p_value=p_tail,
        runs_baseline=evidence.runs_baseline,
        runs_current=evidence.runs_current,
        runs_needed=needed,
    )


def too_few_runs(runs_baseline: int, runs_current: int, ratio: float) -> DriftResult:
    """Fewer than MIN_RUNS on a side: no verdict, and how many runs would give one."""
    note = (
        f"{runs_baseline} baseline run(s) vs {runs_current} current: at least {stats.MIN_RUNS} runs per side are "
        f"needed to measure the noise between runs (`hologram perf collect --runs {max(stats.MIN_RUNS, 10)}`)"
    )
    return DriftResult(
        status=INCONCLUSIVE, ratio=ratio, ci_low=0.0, ci_high=math.inf, mde_pct=math.inf, note=note,
        runs_baseline=runs_baseline, runs_current=runs_current, runs_needed=stats.MIN_RUNS,
    )  # fmt: skip


def _sorted_runs(runs: object, side: str) -> list[np.ndarray]:
    sorted_runs = [stats.as_sorted(run) for run in runs]  # type: ignore[attr-defined]
    if not sorted_runs or any(len(run) == 0 for run in sorted_runs):
        raise ValueError(f"compare_runs: the {side} needs at least one run, and samples in every run")
    return sorted_runs


def compare_runs(
    baseline_runs: object,
    current_runs: object,
    threshold_pct: float = 10.0,
    paired: bool = False,
    session: SessionNoise = SAME_SESSION,
) -> DriftResult:
    """Drift verdict for one metric from runs (each a sequence of samples in ms) on both sides. `paired=True`: run i
    of one side was interleaved with run i of the other (same counts needed). `session`: the sides' runs were drawn
    alike (the default), or each side is one separate session (SEPARATE_SESSIONS, or calibrate's measurement). No
    correction for other metrics."""
    base, cur = _sorted_runs(baseline_runs, "baseline"), _sorted_runs(current_runs, "current run")
    if paired and len(base) != len(cur):
        raise ValueError(f"compare_runs(paired=True) needs as many runs on both sides, got {len(base)} and {len(cur)}")
    # One metric is a family of one: Benjamini–Hochberg leaves its p-values as they are.
    return compare_run_sets({"": (base, cur)}, threshold_pct, paired=paired, sessions={"": session})[""]


def compare_run_sets(
    pairs: Mapping[str, tuple[Sequence[np.ndarray], Sequence[np.ndarray]]],
    threshold_pct: float,
    *,
    paired: bool,
    sessions: Mapping[str, SessionNoise] | None = None,
) -> dict[str, DriftResult]:
    """compare_runs over many metrics (key → (baseline runs, current runs), each run sorted), with the centre and
    the tail p-values each Benjamini–Hochberg adjusted across the metrics as one family. `sessions`: key → the
    session noise of separately collected sides (absent: same session)."""
    logs = {key: (RunLogs.of(base), RunLogs.of(cur)) for key, (base, cur) in pairs.items()}
    return compare_log_sets(logs, threshold_pct, paired=paired, sessions=sessions)


# --- counts ----------------------------------------------------------------------------------------------------------

# The smallest change a count verdict takes as real. Measured on this machine kind (`hologram calibrate --measure
# instructions`, docs/counted.md): repeated processes of the same code agree to < 0.01 %;
# what moves a count without changing the work is memory layout — a docstring edit +0.18 %, a 5 KB environment
# +0.09 %, an unset hash seed +0.07 %, a longer checkout path +0.29 % (the environment and seed are pinned). 1 %
# is three times the largest of those, and below the 2 % a user may ask for.
COUNT_NOISE_FLOOR_PCT = 1.0


def judge_counts(baseline: RunLogs, current: RunLogs, threshold_pct: float) -> DriftResult:
    """Drift of a count: nearly deterministic, so no test over runs — the ratio of the sides' medians against the
    threshold, never below the measured noise floor. Runs of one side that disagree by more than half the threshold
    are not a count (threads, randomness, I/O in the measured region): inconclusive, and the note says why."""
    base, cur = float(np.median(baseline.centre)), float(np.median(current.centre))
    ratio = math.exp(cur - base)
    spread = max(float(np.ptp(baseline.centre)), float(np.ptp(current.centre)))
    floor_pct = max(threshold_pct, COUNT_NOISE_FLOOR_PCT)
    low, high = ratio * math.exp(-spread), ratio * math.exp(spread)
    runs = (len(baseline), len(current))
    status = UNCHANGED
    note = f"count: runs agree within {100 * math.expm1(spread):.3f}%; noise floor {COUNT_NOISE_FLOOR_PCT:g}%"
    if 100.0 * math.expm1(spread) > floor_pct / 2.0:
        status = INCONCLUSIVE
        note = (
            f"counts of one side differ by {100 * math.expm1(spread):.2f}% between its runs: not a deterministic "
            "count (threads, randomness or I/O in the measured calls?)"
        )
    elif ratio > 1.0 + floor_pct / 100.0:
        status = REGRESSED
    elif ratio < 1.0 - floor_pct / 100.0:
        status = IMPROVED
    return DriftResult(
        status=status, ratio=ratio, ci_low=low, ci_high=high, mde_pct=floor_pct, note=note, runs_baseline=runs[0],
        runs_current=runs[1],
    )  # fmt: skip


def compare_log_sets(
    pairs: Mapping[str, tuple[RunLogs, RunLogs]],
    threshold_pct: float,
    *,
    paired: bool,
    sessions: Mapping[str, SessionNoise] | None = None,
) -> dict[str, DriftResult]:
    """compare_run_sets on run statistics already reduced to logs (the history baseline's runs are whole reports).
    Counted metrics are judged as counts (`judge_counts`), outside the statistical family."""
    counted = {key: judge_counts(base, cur, threshold_pct) for key, (base, cur) in pairs.items() if is_counted(key)}
    pairs = {key: pair for key, pair in pairs.items() if key not in counted}
    evidence = {
        key: run_evidence(base, cur, paired=paired, session=(sessions or {}).get(key, SAME_SESSION))
        for key, (base, cur) in pairs.items()
    }
    tested = {key: found for key, found in evidence.items() if found is not None}
    centre = dict(zip(tested, stats.benjamini_hochberg([e.centre.p_value for e in tested.values()]), strict=True))
    tail = dict(zip(tested, stats.benjamini_hochberg([e.tail.p_value for e in tested.values()]), strict=True))
    # The intervals shown are the ones the decision used: BH rejects at α·R/m (R rejected of m tested), so each is
    # printed at 1 − 2·α·max(R, 1)/m (Benjamini & Yekutieli's false-coverage-rate intervals), labelled so.
    level_centre = _adjusted_alpha(centre.values(), stats.RUN_DRIFT_ALPHA)
    level_tail = _adjusted_alpha(tail.values(), stats.TAIL_DRIFT_ALPHA)
    results = {}
    for key, (base, cur) in pairs.items():
        found = evidence[key]
        if found is None:
            results[key] = too_few_runs(len(base), len(cur), cur.p95_ms / base.p95_ms)
        else:
            adjusted = replace(found, centre=_at(found.centre, level_centre), tail=_at(found.tail, level_tail))
            result = judge_runs(adjusted, centre[key], tail[key], threshold_pct)
            results[key] = replace(result, ci_level=1.0 - 2.0 * level_centre, tail_ci_level=1.0 - 2.0 * level_tail)
    return {**results, **counted}


def _adjusted_alpha(adjusted_p: Iterable[float], alpha: float) -> float:
    values = list(adjusted_p)
    rejected = sum(p < alpha for p in values)
    return alpha * max(rejected, 1) / max(len(values), 1)


def _at(comparison: stats.RunComparison, alpha: float) -> stats.RunComparison:
    """The comparison's interval at one-sided `alpha` (same ratio, standard error and degrees of freedom)."""
    from scipy import stats as scipy_stats

    if comparison.se_log == 0.0 or not math.isfinite(comparison.df) or comparison.df <= 0:
        return comparison
    t_crit = float(scipy_stats.t.ppf(1.0 - alpha, comparison.df))
    centre = math.log(comparison.ratio) if comparison.ratio > 0 else -math.inf
    low, high = centre - t_crit * comparison.se_log, centre + t_crit * comparison.se_log
    return replace(comparison, ci_low=_exp(low), ci_high=_exp(high))


def _exp(log_value: float) -> float:
    return math.inf if log_value > 709.0 else math.exp(log_value)


# --- one run per side ----------------------------------------------------------------------------------------------


def from_estimate(estimate: stats.RatioEstimate, p_adjusted: float, threshold_pct: float) -> DriftResult:
    status = decide(estimate.ratio, p_adjusted < stats.DRIFT_ALPHA, threshold_pct)
    mde = max(threshold_pct, 100.0 * stats.minimum_detectable_effect(estimate.se_log))
    return DriftResult(
        status=status,
        ratio=estimate.ratio,
        ci_low=estimate.ci_low,
        ci_high=estimate.ci_high,
        mde_pct=mde,
        p_value=p_adjusted,
    )


def not_compared(note: str) -> DriftResult:
    """Two sides that cannot be compared (other targets, other toolchains): inconclusive, no ratio; `note` says why."""
    ratio = math.nan
    return DriftResult(status=INCONCLUSIVE, ratio=ratio, ci_low=ratio, ci_high=ratio, mde_pct=math.inf, note=note)


def bootstrap(baseline_sorted: np.ndarray, current_sorted: np.ndarray) -> stats.RatioEstimate | None:
    if min(len(baseline_sorted), len(current_sorted)) < MIN_SAMPLES_FOR_BOOTSTRAP:
        return None
    return stats.bootstrap_quantile_ratio(baseline_sorted, current_sorted)


def too_few_samples(base: np.ndarray, cur: np.ndarray) -> DriftResult:
    ratio = stats.quantile(cur) / stats.quantile(base)
    note = f"too few samples to test (n={len(base)} / {len(cur)}, need {MIN_SAMPLES_FOR_BOOTSTRAP} each)"
    return DriftResult(
        status=INCONCLUSIVE, ratio=ratio, ci_low=0.0, ci_high=math.inf, mde_pct=math.inf, p_value=None, note=note
    )


def compare_samples(baseline_ms: object, current_ms: object, threshold_pct: float = 10.0) -> DriftResult:
    """Drift verdict for one metric from one run per side (the special case of compare_runs): a bootstrap of the
    p95 ratio over samples, no correction for other metrics. It cannot see the noise between processes."""
    base, cur = stats.as_sorted(baseline_ms), stats.as_sorted(current_ms)
    if min(len(base), len(cur)) == 0 or stats.quantile(base) <= 0:
        raise ValueError("compare_samples needs samples on both sides and a positive baseline p95")
    estimate = bootstrap(base, cur)
    if estimate is None:
        return too_few_samples(base, cur)
    return from_estimate(estimate, estimate.p_value, threshold_pct)


def paired_verdicts(
    suite: str,
    first: dict[str, list[np.ndarray]],
    second: dict[str, list[np.ndarray]],
    threshold_pct: float,
) -> dict[str, DriftResult]:
    """The paired verdicts of two sides measured in interleaved runs (`perf.interleaved`), keyed `<suite>.<metric>`."""
    pairs = {f"{suite}.{name}": (first[name], second[name]) for name in first if name in second}
    return compare_run_sets(pairs, threshold_pct, paired=True)
