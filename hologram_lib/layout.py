"""The reports/ folder: every path in it is built here — by the runner, the CLI's defaults, the notebooks'
parameters, the perf files and the stack — so that they cannot disagree about where a file lives."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPORTS = Path("reports")


@dataclass(frozen=True)
class PerfDir:
    """A perf data folder (reports/perf by default; `--perf-dir` elsewhere)."""

    root: Path

    def samples(self, suite: str) -> Path:
        return self.root / "samples" / f"{suite}.csv"

    @property
    def samples_dir(self) -> Path:
        return self.root / "samples"

    def summary(self, suite: str) -> Path:
        return self.root / f"{suite}_perf.csv"

    @property
    def baseline(self) -> Path:
        return self.root / "baseline.json"

    @property
    def ab(self) -> Path:
        return self.root / "ab.json"

    @property
    def noise(self) -> Path:
        return self.root / "noise.json"

    @property
    def cold(self) -> Path:
        return self.root / "cold"

    @property
    def cache_profiles(self) -> Path:
        return self.root / "cache_profiles.json"

    @property
    def counted(self) -> Path:
        """The counted measurement's fingerprint, per-run counts and profile paths (`perf.counted`)."""
        return self.root / "counted.json"

    @property
    def profiles(self) -> Path:
        """Compressed callgrind profiles of the counted metrics' measured regions."""
        return self.root / "profiles"

    @property
    def baseline_source(self) -> Path:
        """Where CI got baseline.json from (scripts/ci_fetch_baseline.sh), one line for the job summary."""
        return self.root / "baseline_source.txt"


@dataclass(frozen=True)
class Reports:
    """A reports folder: what `make report` writes and `make gate` reads."""

    root: Path = REPORTS

    @property
    def perf(self) -> PerfDir:
        return PerfDir(self.root / "perf")

    @property
    def events(self) -> Path:
        return self.root / "e2e" / "events.jsonl"

    @property
    def verdict(self) -> Path:
        return self.root / "verdict.json"

    @property
    def history_page(self) -> Path:
        """The history store browsed by commit (report/history_page.py)."""
        return self.root / "history.html"

    @property
    def index(self) -> Path:
        return self.root / "index.html"

    @property
    def stack(self) -> Path:
        return self.root / "stack.json"

    @property
    def summary(self) -> Path:
        return self.root / "summary.md"

    @property
    def badge_svg(self) -> Path:
        return self.root / "badge.svg"

    @property
    def badge_json(self) -> Path:
        return self.root / "badge.json"

    def notification(self, channel: str) -> Path:
        return self.root / "notify" / f"{channel}.json"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    def page(self, notebook: str) -> Path:
        return self.root / f"{notebook}.html"

    def analysis(self, notebook: str) -> Path:
        return self.root / f"{notebook}.json"


DEFAULT = Reports()
