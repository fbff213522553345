"""The drift baseline: its forms, the comparison of a run against it, the comparison in words, and promotion.

`hologram-baseline/3` stores each metric's runs (per-run samples) with provenance, so the comparison can measure the
noise between processes. `/2` (one run with samples) and the upstream flat form `{"core.verify_ms": 7.41}` are still
read, labelled "1 run: machine noise not measured"; such a baseline says `inconclusive`, never `regressed`, unless
the user asks for the one-run test (`--allow-one-run` / HOLOGRAM_ALLOW_ONE_RUN=1).

Modules, one job each:
- `files`: the forms read and written (the three files and the history store's runs as a baseline);
- `compare`: which metrics are judged how, and the DriftReport (its JSON form too); the maths is in `drift`;
- `text`: each metric's reason and the report's lines;
- `promotion`: when a run may become the baseline, and writing it.

Which baseline a verdict uses (named, history, file) is the rule in `history.source`.
"""

from hologram_lib.baseline.compare import DriftReport, MetricDrift, compare, compare_metric_sets, trend_only
from hologram_lib.baseline.files import (
    Baseline,
    BaselineMetric,
    baseline_document,
    from_history,
    read_baseline,
    write_baseline,
)
from hologram_lib.baseline.promotion import promote
from hologram_lib.drift import DriftResult, compare_runs, compare_samples

__all__ = [
    "Baseline",
    "BaselineMetric",
    "DriftReport",
    "DriftResult",
    "MetricDrift",
    "baseline_document",
    "compare",
    "compare_metric_sets",
    "compare_runs",
    "compare_samples",
    "from_history",
    "promote",
    "read_baseline",
    "trend_only",
    "write_baseline",
]
