"""The Markdown table every benchmark prints: median, min and max over repeats."""

from __future__ import annotations

import statistics


def print_table(rows: list[tuple[str, str, list[float], str]], repeats: int) -> None:
    """rows: (benchmark, target, one value per repeat, unit)."""
    print(f"| benchmark | target | median of {repeats} | min | max |")
    print("|---|---|---|---|---|")
    for name, target, values, unit in rows:
        low, mid, high = min(values), statistics.median(values), max(values)
        print(f"| {name} | {target} | {mid:.4g} {unit} | {low:.4g} {unit} | {high:.4g} {unit} |")
