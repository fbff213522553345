"""Charts for the notebooks: PNG-friendly, readable at a glance. Each function returns a Figure.

Figures are built without pyplot (no global state, nothing shown twice); a notebook displays the one it gets.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from hologram_lib.history.changes import ChangePoint
from hologram_lib.outcomes import Budget, Drift, Step

# Titles and labels carry outside text (metric and step names): as mathtext, a name such as `a$\frac$b` raised a
# ParseException while the figure was drawn and failed the whole notebook. Our own labels use no TeX either.
matplotlib.rcParams["text.parse_math"] = False

COLORS: dict[str, str] = {
    Budget.PASS: "#2e7d32",
    Budget.FAIL: "#c62828",
    Budget.INCONCLUSIVE: "#ef6c00",
    Budget.MISSING: "#6a1b9a",
    Budget.SKIPPED: "#9e9e9e",
    Drift.REGRESSED: "#c62828",
    Drift.IMPROVED: "#1565c0",
    Drift.UNCHANGED: "#2e7d32",
    Step.OK: "#2e7d32",
    Step.SKIP: "#9e9e9e",
}


def plain_log_axis(ax: Axes, axis: str = "x") -> None:
    """A log axis labelled with plain numbers at 1-2-5 steps and no minor labels: matplotlib's default labels every
    minor tick `2×10⁰ 3×10⁰ 4×10⁰ …`, which overlap in a small chart."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=6))
    target.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
    target.set_minor_formatter(NullFormatter())


def p95_against_budget(table: pd.DataFrame) -> Figure:
    """p95 / budget with its 95 % interval as whiskers; the budget is the line at 1."""
    rows = table[table["budget_ms"].notna() & table["p95_ms"].notna()].reset_index(drop=True)
    fig = Figure(figsize=(8, 0.6 + 0.5 * max(len(rows), 1)), dpi=100)
    ax = fig.subplots()
    for i, (_, row) in enumerate(rows.iterrows()):
        budget = row["budget_ms"]
        low = row["p95_ci_low_ms"] if pd.notna(row["p95_ci_low_ms"]) else row["p95_ms"]
        high = row["p95_ci_high_ms"] if pd.notna(row["p95_ci_high_ms"]) else row["p95_ms"] * 4
        color = COLORS.get(row["verdict"], "black")
        ax.plot([low / budget, high / budget], [i, i], color=color, lw=2)
        ax.plot(row["p95_ms"] / budget, i, "o", color=color)
        ax.annotate(
            f"{row['p95_ms']:.3g} ms / {budget:g} ms",
            (row["p95_ms"] / budget, i),
            xytext=(6, 6),
            textcoords="offset points",
            fontsize=8,
        )
    ax.axvline(1.0, color="black", ls="--", lw=1)
    ax.set_xscale("log")
    plain_log_axis(ax)
    ax.set_yticks(range(len(rows)), rows["metric"] if len(rows) else [])
    ax.set_xlabel("p95 / budget (log scale; right of the dashed line = over budget)")
    ax.invert_yaxis()
    fig.tight_layout()
    return fig


def ecdfs(samples: dict[str, np.ndarray], points: int = 2000) -> Figure:
    """Latency distributions as ECDFs (at most `points` quantiles per metric, so 1M samples stay light)."""
    keys = sorted(samples)
    cols = 2
    rows = max(1, (len(keys) + cols - 1) // cols)
    fig = Figure(figsize=(9, 2.6 * rows), dpi=90)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, key in zip(axes.flat, keys, strict=False):
        ordered = np.sort(samples[key])
        probs = np.linspace(0, 1, min(points, len(ordered)))
        ax.plot(np.quantile(ordered, probs), probs, lw=1.5)
        ax.axhline(0.95, color="grey", ls=":", lw=1)
        ax.set_xscale("log")
        plain_log_axis(ax)
        ax.set_title(f"{key} (n={len(ordered)})", fontsize=9)
        ax.set_xlabel("ms", fontsize=8)
    for ax in list(axes.flat)[len(keys) :]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def drift_ratios(table: pd.DataFrame, threshold_pct: float) -> Figure:
    """Current / baseline p95 with its interval; the shaded band is ±threshold."""
    rows = table[table["ratio"].notna()].reset_index(drop=True)
    fig = Figure(figsize=(8, 0.6 + 0.5 * max(len(rows), 1)), dpi=100)
    ax = fig.subplots()
    ax.axvspan(1 - threshold_pct / 100, 1 + threshold_pct / 100, color="#e0e0e0", label=f"±{threshold_pct:g}%")
    for i, (_, row) in enumerate(rows.iterrows()):
        color = COLORS.get(row["status"], "black")
        low = row["ci_low"] if pd.notna(row["ci_low"]) else row["ratio"]
        high = row["ci_high"] if pd.notna(row["ci_high"]) else row["ratio"]
        ax.plot([low, high], [i, i], color=color, lw=2)
        ax.plot(row["ratio"], i, "o", color=color)
    ax.axvline(1.0, color="black", lw=1)
    ax.set_yticks(range(len(rows)), rows["metric"] if len(rows) else [])
    ax.set_xlabel("median ratio, current / baseline (interval of the run-level test)")
    ax.invert_yaxis()
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def step_timeline(steps: pd.DataFrame) -> Figure:
    """The latest E2E run: one bar per step, in order, coloured by status."""
    fig = Figure(figsize=(8, 0.6 + 0.35 * max(len(steps), 1)), dpi=100)
    ax = fig.subplots()
    start = 0.0
    for i, (_, row) in enumerate(steps.iterrows()):
        width = float(row["duration_ms"] or 0.0)
        ax.barh(i, max(width, 0.2), left=start, color=COLORS.get(row["status"], "black"))
        ax.annotate(f"{width:.1f} ms", (start + width, i), xytext=(4, -3), textcoords="offset points", fontsize=8)
        start += width
    ax.set_yticks(range(len(steps)), steps["step"] if len(steps) else [])
    ax.set_xlabel("ms since the run started")
    ax.invert_yaxis()
    fig.tight_layout()
    return fig


def trend(
    metric: str,
    median_ms: Sequence[float],
    p95_ms: Sequence[float],
    changes: Sequence[ChangePoint],
    *,
    budget_ms: float | None = None,
    current: int | None = None,
    size: tuple[float, float] = (4.2, 1.9),
) -> Figure:
    """One metric over runs: p95 and median per run, the budget as a dashed line, change points as dotted verticals
    (labelled with the shift), and the run `current` (an index) circled. Small enough for six on a screen."""
    fig = Figure(figsize=size, dpi=100)
    ax = fig.subplots()
    x = np.arange(1, len(median_ms) + 1)
    thin = len(x) > 300  # thousands of runs: lines only, markers would merge into a band
    ax.plot(x, p95_ms, color="#ef6c00", lw=1, marker=None if thin else ".", ms=3, label="p95")
    ax.plot(x, median_ms, color="#1565c0", lw=1, marker=None if thin else ".", ms=3, label="median")
    top = float(np.nanmax([*p95_ms, 1e-9])) * 1.3
    if budget_ms is not None and budget_ms <= 2.0 * top:  # a budget far above the data would flatten it to a line
        ax.axhline(budget_ms, color="#c62828", ls="--", lw=1, label=f"budget {budget_ms:g} ms")
        top = max(top, budget_ms * 1.15)
    elif budget_ms is not None:
        ax.annotate(f"budget {budget_ms:g} ms ↑ (off the chart)", (0.99, 0.97), xycoords="axes fraction",
                    ha="right", va="top", fontsize=7, color="#c62828")  # fmt: skip
    for change in changes:
        ax.axvline(change.index + 0.5, color="#6a1b9a", ls=":", lw=1.2)
        ax.annotate(f"×{change.ratio:.2f}", (change.index + 0.5, 0.0), xycoords=("data", "axes fraction"),
                    xytext=(2, 3), textcoords="offset points", fontsize=7, color="#6a1b9a")  # fmt: skip
    if current is not None and 0 <= current < len(x):
        ax.plot(x[current], p95_ms[current], "o", ms=8, mfc="none", mec="black", mew=1.5)
        ax.plot(x[current], median_ms[current], "o", ms=8, mfc="none", mec="black", mew=1.5, label="this run")
    ax.set_title(metric, fontsize=9)
    ax.set_xlabel("run (oldest → newest)", fontsize=7)
    ax.set_ylabel("ms", fontsize=7)
    ax.tick_params(labelsize=7)
    ax.locator_params(axis="both", nbins=5)
    ax.legend(fontsize=6, loc="upper left", ncols=4, frameon=False)
    ax.set_ylim(bottom=0, top=top)
    fig.tight_layout()
    return fig


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes (for pages that embed their charts, offline)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
