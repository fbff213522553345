"""The one way a benchmark reports: a Markdown table on stdout (median, min and max over repeats), and the same
figures recorded in docs/bench/results.json (tests/bench/results.py), where the documentation quotes them from."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path

from tests.bench.results import RESULTS, Figure, record


def print_table(script: str | Path, figures: Sequence[Figure], repeats: int, results: Path = RESULTS) -> None:
    """Print the figures of `script` (the bench script's `__file__`) and record them under `<script>.<name>`."""
    print(f"| benchmark | target | median of {repeats} | min | max |")
    print("|---|---|---|---|---|")
    for figure in figures:
        low, mid, high = min(figure.values), statistics.median(figure.values), max(figure.values)
        unit = f" {figure.unit}" if figure.unit else ""
        print(f"| {figure.label} | {figure.target} | {mid:.4g}{unit} | {low:.4g}{unit} | {high:.4g}{unit} |")
    record(Path(script), figures, results)
    print(f"recorded in {results}")
