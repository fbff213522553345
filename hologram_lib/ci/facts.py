"""What the job summary, the badge and the Slack / Teams messages say, gathered once from a reports/ folder.

The verdict is `verdict.judge_report`: the one judge on the inputs the gate recorded in verdict.json (profile,
budgets, threshold, which baseline and the exact history runs), so the summary cannot tell another story than the
exit code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hologram_lib.ci.run import ci_run
from hologram_lib.errors import InputError
from hologram_lib.layout import Reports
from hologram_lib.outcomes import Budget, Step
from hologram_lib.redact import one_line
from hologram_lib.verdict import Overall, judge_report

_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_SERVER = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]+)?")


@dataclass(frozen=True)
class RunLinks:
    """The run's page and its artifacts on GitHub, or a note saying why there are no links."""

    run_url: str | None
    note: str | None

    @property
    def artifacts_url(self) -> str | None:
        return None if self.run_url is None else f"{self.run_url}#artifacts"


def run_links(environ: Mapping[str, str] | None = None) -> RunLinks:
    """Links from GITHUB_SERVER_URL / GITHUB_REPOSITORY / GITHUB_RUN_ID; a missing or malformed one → a note that
    names it (its value redacted and cut: a summary is public to everyone who can read the run)."""
    run = ci_run(environ)
    given = {"GITHUB_SERVER_URL": run.server_url, "GITHUB_REPOSITORY": run.repository, "GITHUB_RUN_ID": run.run_id}
    if not any(given.values()):
        return RunLinks(None, "not a GitHub Actions run (GITHUB_SERVER_URL / GITHUB_REPOSITORY / GITHUB_RUN_ID unset)")
    checks = {"GITHUB_SERVER_URL": _SERVER, "GITHUB_REPOSITORY": _REPOSITORY, "GITHUB_RUN_ID": re.compile(r"[0-9]+")}
    for name, pattern in checks.items():
        value = given[name]
        if not value:
            return RunLinks(None, f"{name} is not set: links to the run's artifacts left out")
        if not pattern.fullmatch(value):
            shown = one_line(value, limit=60)
            return RunLinks(None, f"{name}={shown!r} is malformed: links to the run's artifacts left out")
    return RunLinks(f"{run.server_url}/{run.repository}/actions/runs/{run.run_id}", None)


@dataclass(frozen=True)
class Facts:
    """A report folder, judged: `verdict` is None exactly when `problem` says why it could not be judged."""

    reports: Reports
    verdict: Overall | None
    problem: str | None
    links: RunLinks
    baseline_source: str | None
    cache_profiles: dict[str, Any] | None

    @property
    def e2e_status(self) -> str | None:
        """The latest E2E run's status (ok / fail / skip / incomplete), None when there is none."""
        e2e = self.verdict.e2e if self.verdict else None
        return None if e2e is None or e2e.latest_run is None else str(e2e.latest_run["status"])

    @property
    def gate_failed(self) -> bool | None:
        """Whether `make gate` fails on this report (budgets, drift, A/B, E2E), None when it could not judge."""
        return None if self.verdict is None else not self.verdict.passed

    @property
    def e2e_failed(self) -> bool | None:
        status = self.e2e_status
        return None if status is None or status == Step.SKIP else status != Step.OK


def judge(reports: Reports, environ: Mapping[str, str] | None = None) -> Overall:
    """The overall verdict of a report folder (InputError on a corrupt input, as `hologram verdict` gives)."""
    return judge_report(reports, environ)


def nothing_to_judge(reports: Reports) -> str | None:
    """A one-line reason when the folder holds no report at all (no perf data, no E2E log, no verdict)."""
    if reports.perf.root.exists() or reports.events.exists() or reports.verdict.exists():
        return None
    return (
        f"nothing to summarize in {reports.root}: no perf data, E2E events or verdict.json "
        "(run `make report` first, or give --reports-dir)"
    )


def _read_text(path: Path) -> str | None:
    try:
        return one_line(path.read_text(encoding="utf-8")) or None
    except (OSError, UnicodeDecodeError):
        return None


def _cache_profiles(path: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) and document else None


def gather(reports: Reports, environ: Mapping[str, str] | None = None) -> Facts:
    """Everything the CI outputs show; a report that cannot be judged is named, never raised."""
    problem = nothing_to_judge(reports)
    verdict = None
    if problem is None:
        try:
            verdict = judge(reports, environ)
        except InputError as exc:
            problem = f"could not judge: {exc.one_line()}"
    return Facts(
        reports,
        verdict,
        problem,
        run_links(environ),
        _read_text(reports.perf.baseline_source),
        _cache_profiles(reports.perf.cache_profiles),
    )


def worst_first(verdict: Overall) -> list[Any]:
    """The budget verdicts, the ones that block first, then by how close the interval's top is to the budget."""

    def closeness(v: Any) -> float:
        result = v.result
        return -1.0 if result is None or not v.budget_ms else result.ci_high_ms / v.budget_ms

    order = {Budget.FAIL: 0, Budget.MISSING: 1, Budget.INCONCLUSIVE: 2, Budget.PASS: 3, Budget.SKIPPED: 4}
    return sorted(verdict.gate.verdicts, key=lambda v: (not v.blocks, order.get(v.status, 5), -closeness(v)))


def read_bisect(path: Path) -> dict[str, Any] | None:
    """`hologram bisect`'s answer (perf/bisect.json) when this job ran one, else None; a file that is not one raises
    ValueError (each output says so in its own words)."""
    if not path.exists():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, RecursionError) as exc:
        raise ValueError(f"{path} could not be read: {type(exc).__name__}") from None
    if not isinstance(document, dict) or not isinstance(document.get("answer"), dict):
        raise ValueError(f"{path} holds no bisect answer")
    return document
