"""The perf artifacts: raw samples (`samples/<suite>.csv`) and summaries (`<suite>_perf.csv`).

Samples are long format `suite,metric,run,sample_ms`: `run` numbers the process that measured a sample (1…K), the
unit of replication of every verdict; a file without the column is read as one run. Reading is strict — a
malformed row is an InputError naming the file and line, never a skipped row, so a gate can never turn green on
data it did not read. Summaries also carry the recorded reason for a suite
that did not run (`note` = "skipped: …") or failed ("error: …").

Longer than ~400 lines for a reason: the samples file and the summary are read and written here, each reader beside
the writer whose format it must accept (the seed's upstream CSV included), so a format changes in one place.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hologram_lib import atomic, stats
from hologram_lib.errors import InputError
from hologram_lib.layout import PerfDir

SAMPLE_HEADER = ("suite", "metric", "run", "sample_ms")
REQUIRED_SAMPLE_COLUMNS = ("suite", "metric", "sample_ms")
UPSTREAM_SUMMARY_HEADER = ("suite", "metric", "p50_ms", "p95_ms", "p99_ms", "avg_ms", "n", "note")
SUMMARY_HEADER = (*UPSTREAM_SUMMARY_HEADER, "runs", "p95_ci_low_ms", "p95_ci_high_ms", "run_id")
# Runs of one metric are equal in size by construction; a much smaller one means a torn or spliced file.
MAX_RUN_SIZE_RATIO = 2
SKIP_PREFIX = "skipped: "
ERROR_PREFIX = "error: "


@dataclass(frozen=True)
class MetricResult:
    """What a suite produced for one metric: samples per run, or the reason it has none."""

    suite: str
    metric: str
    runs: tuple[np.ndarray, ...] | None = None
    note: str = ""

    @classmethod
    def one_run(cls, suite: str, metric: str, samples_ms: object) -> MetricResult:
        return cls(suite, metric, (np.asarray(samples_ms, dtype=np.float64),))

    @property
    def key(self) -> str:
        return f"{self.suite}.{self.metric}"

    @property
    def has_samples(self) -> bool:
        return self.runs is not None and sum(len(run) for run in self.runs) > 0


@dataclass(frozen=True, kw_only=True)
class MetricData:
    """One metric as read back from disk. `samples` is all runs pooled and sorted, `runs` each run sorted; both
    empty / None when only a point estimate exists."""

    key: str
    suite: str
    samples: np.ndarray | None
    p95_ms: float | None
    n: int
    note: str
    source: str
    runs: tuple[np.ndarray, ...] = ()
    expects_samples: bool = False  # a summary of ours with n > 0: its samples file must hold exactly n
    fingerprint: dict[str, str] | None = None  # a counted metric's toolchain (counted.json); None for a latency

    @property
    def run_count(self) -> int:
        return len(self.runs)

    @property
    def skip_reason(self) -> str | None:
        return self.note[len(SKIP_PREFIX) :] if self.note.startswith(SKIP_PREFIX) else None

    @property
    def error(self) -> str | None:
        return self.note[len(ERROR_PREFIX) :] if self.note.startswith(ERROR_PREFIX) else None

    @property
    def has_data(self) -> bool:
        return self.samples is not None or self.p95_ms is not None

    def sample_quantile(self, q: float) -> float:
        """A quantile of every run's samples pooled (what the summary CSV's p50 / p95 / p99 say); NaN without them."""
        return stats.quantile(self.samples, q) if self.samples is not None and len(self.samples) else math.nan

    def p95_interval(self) -> tuple[float, float]:
        """The p95's 95 % interval (`p95_interval`); NaN without samples."""
        return p95_interval(self.runs, self.samples) if self.samples is not None else (math.nan, math.nan)


def _fmt(value: float) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.3f}"


def p95_interval(sorted_runs: tuple[np.ndarray, ...] | list[np.ndarray], pooled: np.ndarray) -> tuple[float, float]:
    """The p95's 95 % interval: over runs when there are several, else the one run's order-statistic interval."""
    if len(sorted_runs) >= 2:
        return stats.run_bootstrap_quantile_ci(list(sorted_runs))
    return stats.quantile_ci(pooled)


def summary_row(result: MetricResult, run_id: str) -> list[str]:
    if result.runs is None or not result.has_samples:
        return [result.suite, result.metric, "", "", "", "", "0", result.note, "0", "", "", run_id]
    sorted_runs = [stats.as_sorted(run) for run in result.runs]
    ordered = stats.as_sorted(np.concatenate(sorted_runs))
    low, high = p95_interval(sorted_runs, ordered)
    return [
        result.suite,
        result.metric,
        _fmt(stats.quantile(ordered, 0.50)),
        _fmt(stats.quantile(ordered, 0.95)),
        _fmt(stats.quantile(ordered, 0.99)),
        _fmt(float(ordered.mean())),
        str(len(ordered)),
        result.note,
        str(len(sorted_runs)),
        _fmt(low),
        _fmt(high),
        run_id,
    ]


def _csv_text(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_suite(perf_dir: Path, suite: str, results: list[MetricResult], run_id: str) -> tuple[Path, Path]:
    """Write one suite's samples and summary files (each atomically)."""
    sample_rows = (
        (r.suite, r.metric, str(number), f"{value:.6f}")
        for r in results
        if r.runs is not None
        for number, run in enumerate(r.runs, start=1)
        for value in run
    )
    samples_path = atomic.write_text(PerfDir(perf_dir).samples(suite), _csv_text(SAMPLE_HEADER, sample_rows))
    summary_text = _csv_text(SUMMARY_HEADER, (summary_row(r, run_id) for r in results))
    summary_path = atomic.write_text(PerfDir(perf_dir).summary(suite), summary_text)
    return samples_path, summary_path


def _header(first_line: list[str], required: tuple[str, ...], path: Path) -> list[str]:
    header = [column.strip().lstrip("\ufeff") for column in first_line]
    absent = [column for column in required if column not in header]
    if absent:
        raise InputError(f"expected a header with {','.join(required)}; missing {','.join(absent)}", path, 1)
    repeated = sorted({column for column in header if header.count(column) > 1})
    if repeated:
        raise InputError(f"expected each column once in the header; repeated: {','.join(repeated)}", path, 1)
    return header


def _rows(path: Path, required: tuple[str, ...], *, whole: bool = False) -> Iterable[tuple[int, dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path) from None
    except UnicodeDecodeError:
        raise InputError("expected UTF-8 CSV text", path) from None
    if not text.strip():
        raise InputError(f"empty file: expected a CSV header {','.join(required)}", path, 1)
    if whole:
        _whole(text, path)
    reader = csv.reader(io.StringIO(text))
    try:
        header = _header(next(reader), required, path)
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise InputError(f"expected {len(header)} fields ({','.join(header)}), got {len(row)}", path, line)
            yield line, dict(zip(header, (cell.strip() for cell in row), strict=True))
    except csv.Error as exc:  # a field over the csv module's limit, a NUL, an unterminated quote
        raise InputError(f"expected CSV fields ({exc})", path, reader.line_num) from None


def _latency(raw: str, column: str, path: Path, line: int) -> float:
    try:
        value = float(raw) if _NUMBER.fullmatch(raw) else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise InputError(f"{column}: expected a non-negative number of milliseconds, got {raw!r}", path, line)
    return value


def _run_number(raw: str) -> int | None:
    """A run number: ASCII digits without a leading zero (int() would also take '١', ' 3_0' or '01' — and '01'
    beside '1' would be two runs to one reader, one to another), 1 or more."""
    if _RUN.fullmatch(raw) is None:
        return None
    return int(raw)


# Suite and metric names become keys, file names, HTML and JSON: plain ASCII words only (no NUL, no 10 MB name).
_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,120}")
# Numbers in ASCII only: Python's float() also reads '１' (full-width) and '1_0' as numbers.
_NUMBER = re.compile(r"[0-9eE+\-.]{1,40}|[iI]nf|[nN]a[nN]")
_RUN = re.compile(r"[1-9][0-9]{0,8}")
_NUMBERS = re.compile(r"(?:[0-9eE+\-. ]{1,40})(?:,[0-9eE+\-. ]{1,40})*")


def _valid_name(name: str) -> bool:
    return _NAME.fullmatch(name) is not None


def _names(row: dict[str, str], path: Path, line: int) -> tuple[str, str]:
    suite, metric = row["suite"], row["metric"]
    if not _valid_name(suite) or not _valid_name(metric):
        shown = (suite if not _valid_name(suite) else metric)[:40]
        raise InputError(
            f"expected suite and metric names of letters, digits, _ . - (≤ 120), got {shown!r}", path, line
        )
    return suite, metric


RunsByKey = dict[str, tuple[str, list[np.ndarray]]]


def _ordered_runs(key: str, by_run: Mapping[int, Sequence[float] | np.ndarray], path: Path) -> list[np.ndarray]:
    """The runs of one metric in run order; runs must be numbered 1…K and of comparable size."""
    numbers = sorted(by_run)
    if numbers != list(range(1, len(numbers) + 1)):
        absent = next(n for n in range(1, numbers[-1] + 1) if n not in by_run)
        raise InputError(f"{key}: expected runs numbered 1…{numbers[-1]}; run {absent} has no samples", path)
    runs = [np.asarray(by_run[n], dtype=np.float64) for n in numbers]
    sizes = [len(run) for run in runs]
    if max(sizes) > MAX_RUN_SIZE_RATIO * min(sizes):
        small = numbers[sizes.index(min(sizes))]
        raise InputError(
            f"{key}: run {small} has {min(sizes)} samples where another has {max(sizes)}: expected runs of "
            "comparable size (a torn or spliced samples file?)",
            path,
        )
    return runs


def _whole(text: str, path: Path) -> None:
    """Samples files are written whole, ending in a line end; one that does not was cut mid-line (a torn copy
    or write), and its last value (`0.` of `0.123`) would be read as a real sample."""
    if text and not text.endswith("\n"):
        raise InputError(
            "cut short: the last line has no line end (a torn write or copy?); re-run `hologram perf collect`",
            path,
            text.count("\n") + 1,
        )


def _read_samples_fast(path: Path) -> RunsByKey | None:
    """The common case — an unquoted, well-formed file — parsed in bulk; None sends the caller to the careful
    reader, which names the offending line. (A million samples: ≈0.6 s instead of ≈2.5 s.)"""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    _whole(text, path)
    lines = text.split("\n")
    header = [column.strip() for column in lines[0].split(",")]
    if '"' in text or "\ufeff" in text or len(set(header)) != len(header):
        return None
    if any(column not in header for column in REQUIRED_SAMPLE_COLUMNS):
        return None
    width = len(header)
    suite_at, metric_at, value_at = (header.index(c) for c in REQUIRED_SAMPLE_COLUMNS)
    run_at = header.index("run") if "run" in header else None
    columns: dict[tuple[str, str, str], list[str]] = {}
    for line in lines[1:]:
        if not line.strip():
            continue
        parts = line.split(",")
        if len(parts) != width:
            return None
        run_text = "1" if run_at is None else parts[run_at].strip()
        columns.setdefault((parts[suite_at].strip(), parts[metric_at].strip(), run_text), []).append(parts[value_at])
    grouped: dict[str, tuple[str, dict[int, np.ndarray]]] = {}
    for (suite, metric, raw_run), raw in columns.items():
        run = _run_number(raw_run)
        if not _valid_name(suite) or not _valid_name(metric) or run is None:
            return None
        if not _NUMBERS.fullmatch(",".join(raw)):  # one C-speed pass over the column
            return None
        try:
            values = np.asarray(raw, dtype=np.float64)
        except ValueError:
            return None
        if not np.isfinite(values).all() or (values < 0).any():
            return None
        grouped.setdefault(f"{suite}.{metric}", (suite, {}))[1][run] = values
    return {key: (suite, _ordered_runs(key, by_run, path)) for key, (suite, by_run) in grouped.items()}


def read_samples(path: Path) -> RunsByKey:
    """key → (suite, runs in run order, each in file order) from one long-format samples CSV."""
    fast = _read_samples_fast(path)
    if fast is not None:
        return fast
    grouped: dict[str, tuple[str, dict[int, list[float]]]] = {}
    for line, row in _rows(path, REQUIRED_SAMPLE_COLUMNS, whole=True):
        suite, metric = _names(row, path, line)
        run = _run_number(row.get("run", "1"))
        if run is None:
            raise InputError(f"run: expected a positive whole number, got {row['run']!r}", path, line)
        value = _latency(row["sample_ms"], "sample_ms", path, line)
        grouped.setdefault(f"{suite}.{metric}", (suite, {}))[1].setdefault(run, []).append(value)
    return {key: (suite, _ordered_runs(key, by_run, path)) for key, (suite, by_run) in grouped.items()}


def read_summary(path: Path) -> dict[str, MetricData]:
    """key → MetricData (point estimates only) from a summary CSV; the last row of a key wins."""
    found: dict[str, MetricData] = {}
    for line, row in _rows(path, ("suite", "metric", "p95_ms", "n")):
        suite, metric = _names(row, path, line)
        note = row.get("note", "")
        try:
            n = int(row["n"] or "0")
        except ValueError:
            raise InputError(f"n: expected a whole number of samples, got {row['n']!r}", path, line) from None
        if n < 0:
            raise InputError(f"n: expected a whole number of samples, got {n}", path, line)
        p95 = None
        if n > 0 or row["p95_ms"]:
            p95 = _latency(row["p95_ms"], "p95_ms", path, line)
        key = f"{suite}.{metric}"
        ours = "run_id" in row  # written by `perf collect`, which always writes the samples beside it
        found[key] = MetricData(
            key=key,
            suite=suite,
            samples=None,
            p95_ms=p95,
            n=n,
            note=note,
            source=str(path),
            expects_samples=ours and n > 0,
        )
    return found


def metric_data(key: str, suite: str, runs: list[np.ndarray], note: str, source: str) -> MetricData:
    """MetricData from raw runs (sorted here, pooled once)."""
    sorted_runs = tuple(stats.as_sorted(run) for run in runs)
    pooled = stats.as_sorted(np.concatenate(sorted_runs)) if sorted_runs else np.empty(0)
    p95 = stats.quantile(pooled) if len(pooled) else None
    return MetricData(
        key=key, suite=suite, samples=pooled, p95_ms=p95, n=len(pooled), note=note, source=source, runs=sorted_runs
    )


def load_perf_dir(perf_dir: Path) -> dict[str, MetricData]:
    """Every metric in a perf directory: raw samples where recorded, else the summary's point estimate."""
    if not perf_dir.is_dir():
        return {}
    metrics: dict[str, MetricData] = {}
    for path in sorted(perf_dir.glob("*.csv")):
        metrics.update(read_summary(path))
    samples_dir = PerfDir(perf_dir).samples_dir
    seen: dict[str, Path] = {}
    for path in sorted(samples_dir.glob("*.csv")) if samples_dir.is_dir() else []:
        for key, (suite, runs) in read_samples(path).items():
            if key in seen:
                raise InputError(f"{key} is also in {seen[key]}: expected each metric in one samples file", path)
            seen[key] = path
            summary = metrics.get(key)
            data = metric_data(key, suite, runs, summary.note if summary else "", str(path))
            if summary is not None and summary.expects_samples and summary.n != data.n:
                data = _unusable(summary, f"{summary.source} says n={summary.n}, {path} holds {data.n} samples")
            metrics[key] = data
    for key, data in metrics.items():
        if data.expects_samples:  # still the summary's point estimate: its samples are gone
            where = PerfDir(perf_dir).samples(data.suite)
            metrics[key] = _unusable(data, f"{data.source} says n={data.n}, but {where} has none of its samples")
    return _with_fingerprints(perf_dir, metrics)


def _with_fingerprints(perf_dir: Path, metrics: dict[str, MetricData]) -> dict[str, MetricData]:
    """Counted metrics carry the toolchain fingerprint that counted.json recorded beside them."""
    from dataclasses import replace

    from hologram_lib.perf.counted_file import is_counted, read_counted

    if not any(is_counted(key) for key in metrics):
        return metrics
    document = read_counted(perf_dir)
    if document is None:
        return metrics
    fingerprint = {str(k): str(v) for k, v in dict(document["fingerprint"]).items()}  # type: ignore[call-overload]
    return {key: replace(data, fingerprint=fingerprint) if is_counted(key) else data for key, data in metrics.items()}


def _unusable(summary: MetricData, why: str) -> MetricData:
    """A metric whose files contradict each other: no data, an error the gate reports as missing."""
    return MetricData(
        key=summary.key,
        suite=summary.suite,
        samples=None,
        p95_ms=None,
        n=0,
        note=f"{ERROR_PREFIX}{why}",
        source=summary.source,
    )


def append_suite(perf_dir: Path, suite: str, results: list[MetricResult], run_id: str) -> tuple[Path, Path]:
    """Add runs to a suite's files, keeping what earlier runs recorded (each E2E probe adds one run per step)."""
    path = PerfDir(perf_dir).samples(suite)
    merged: dict[str, list[np.ndarray]] = {
        key: runs for key, (_, runs) in (read_samples(path) if path.exists() else {}).items()
    }
    for result in results:
        if result.runs is not None:
            merged.setdefault(result.key, []).extend(result.runs)
    combined = [MetricResult(suite, key.split(".", 1)[1], tuple(runs)) for key, runs in merged.items()]
    return write_suite(perf_dir, suite, combined, run_id)
