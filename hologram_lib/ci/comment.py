"""The pull request's comment: one per PR, found again by a hidden marker and edited on every push, never duplicated.

It says what the job summary says, cut to what a reviewer needs: the verdict and why, the budget, drift and A/B rows
that matter (regressions first, then what could not be judged and why), the counted functions that moved, a bisect
when there was one, and links to the run and its report artifact. The rows and the verdict are the job summary's
(hologram_lib.ci.summary on facts.gather's one verdict): the comment cannot tell another story than the gate.

Posting speaks GitHub's REST API for issue comments (a PR is an issue): list (paginated), create, update. The token is
a secret: it is sent only to GITHUB_API_URL's own origin, and never printed or written. A fork PR's token cannot write
and a 403 says the same: one line, nothing fails — the job summary still has everything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hologram_lib.ci import summary
from hologram_lib.ci.facts import Facts, worst_first
from hologram_lib.ci.run import PullRequestApi
from hologram_lib.errors import InputError
from hologram_lib.outcomes import Budget, Drift, Posting
from hologram_lib.paired_documents import AbDocument
from hologram_lib.redact import one_line

MARKER = "<!-- hologram-pipeline -->"
LIMIT_CHARS = 65_536  # GitHub's limit for one comment's body
TIMEOUT_S = 30.0  # for the whole conversation with the API, not per request
BOT_LOGIN = "github-actions[bot]"  # who GITHUB_TOKEN posts as in Actions (its token cannot read /user)
_CUT = "\n\n_…cut here: a PR comment is limited to 65,536 characters; the whole story is in the report artifact._\n"
# Statuses that are not a judgement: no data, an interval that straddles the line, nothing to compare with.
_NOT_JUDGED = frozenset({Budget.MISSING, Budget.INCONCLUSIVE, Drift.INCONCLUSIVE, Drift.NEW, Drift.GONE})


def render(facts: Facts) -> str:
    """The comment's Markdown, marker first, at most LIMIT_CHARS characters."""
    lines = [MARKER, *summary.headline(facts)]
    verdict = facts.verdict
    if verdict is not None:
        lines += _budgets(verdict) + _drift(facts) + _ab(verdict.ab)
        if verdict.ab is not None:
            lines += summary.attribution_markdown(verdict.ab)
    lines += summary.bisect_section(facts.reports.perf.root / "bisect.json")
    lines += ["", *summary.artifacts_section(facts)]
    # Bytes bound characters: a UTF-8 text of at most LIMIT_CHARS bytes has at most as many characters.
    return summary.bounded("\n".join(lines) + "\n", LIMIT_CHARS, _CUT)


def _mattering(items: list[Any], regressed: str) -> tuple[list[Any], list[Any]]:
    """The regressions, then what could not be judged; the rest (passed, unchanged) is counted, not shown."""
    failed = [x for x in items if x.blocks or x.status == regressed]
    unjudged = [x for x in items if x not in failed and x.status in _NOT_JUDGED]
    return failed, unjudged


def _why(unjudged: list[Any]) -> list[str]:
    return [f"- {summary.text(x.metric)}: {summary.text(x.reason)}" for x in unjudged if x.reason]


def _budgets(verdict: Any) -> list[str]:
    verdicts = worst_first(verdict)
    failed, unjudged = _mattering(verdicts, Budget.FAIL)
    rest = len(verdicts) - len(failed) - len(unjudged)
    if not failed and not unjudged:
        return ["", f"**Budgets:** all {len(verdicts)} within their p95 budget."] if verdicts else []
    out = ["", "### Budgets that matter (regressions first, then what could not be judged)", ""]
    out += summary.table(summary.BUDGET_HEADER, summary.budget_rows([*failed, *unjudged]), "metrics")
    out += ["", *_why(unjudged)] if _why(unjudged) else []
    return [*out, "", f"_{rest} other budgeted metric(s) passed._"]


def _drift(facts: Facts) -> list[str]:
    verdict = facts.verdict
    if verdict is None or verdict.drift is None:
        return []
    drifts = sorted(verdict.drift.drifts, key=lambda d: d.metric)
    failed, unjudged = _mattering(drifts, Drift.REGRESSED)
    baseline = f"against {summary.text(verdict.source.line())}"
    if not failed and not unjudged:
        return ["", f"**Drift** {baseline}: no regression in {len(drifts)} metric(s)."]
    out = ["", f"### Drift that matters ({baseline}; threshold {verdict.drift.threshold_pct:g} %)", ""]
    out += summary.table(summary.DRIFT_HEADER, summary.drift_rows([*failed, *unjudged]), "metrics")
    out += ["", *_why(unjudged)] if _why(unjudged) else []
    return [*out, "", f"_{len(drifts) - len(failed) - len(unjudged)} other metric(s) unchanged or improved._"]


def _ab(ab: AbDocument | None) -> list[str]:
    if ab is None:
        return []
    metrics = ab.metrics
    failed = {k: m for k, m in metrics.items() if m.get("status") == Drift.REGRESSED}
    unjudged = {k: m for k, m in metrics.items() if k not in failed and m.get("status") in _NOT_JUDGED}
    side = f"paired A/B against {summary.text(ab.base['ref'])}"
    if not failed and not unjudged:
        return ["", f"**A/B** ({side}): no regression in {len(metrics)} metric(s)."]
    rows = summary.ab_rows({**dict(sorted(failed.items())), **dict(sorted(unjudged.items()))})
    return ["", f"### A/B that matters ({side})", "", *summary.table(summary.AB_HEADER, rows, "metrics")]


# --- posting ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PullRequest:
    number: int
    fork: bool


def pull_request(event_path: Path | None) -> PullRequest | None:
    """The PR that GITHUB_EVENT_PATH's event names; None when the event is not a pull request's. A file that is not
    an event is bad input (exit 2)."""
    if event_path is None:
        return None
    try:
        event = json.loads(event_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(f"expected the GitHub event as JSON ({type(exc).__name__})", event_path) from None
    pr = event.get("pull_request") if isinstance(event, dict) else None
    if pr is None:
        return None
    number = pr.get("number") if isinstance(pr, dict) else None
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise InputError("expected pull_request.number to be a positive integer", event_path)
    return PullRequest(number, _repo(pr, "head") != _repo(pr, "base") or _repo(pr, "head") is None)


def _repo(pr: dict[str, Any], side: str) -> str | None:
    part = pr.get(side)
    repo = part.get("repo") if isinstance(part, dict) else None  # head.repo is null once a fork is deleted
    name = repo.get("full_name") if isinstance(repo, dict) else None
    return name if isinstance(name, str) else None


@dataclass(frozen=True)
class Posted:
    outcome: Posting
    detail: str

    def line(self) -> str:
        return f"comment: {self.outcome}: {self.detail}"


class _Forbidden(Exception):
    pass


class _Api:
    """GitHub's issue-comment endpoints, with the token sent only to the API's own origin."""

    def __init__(self, api: PullRequestApi, timeout_s: float) -> None:
        import requests

        self._session = requests.Session()
        self._session.headers.update(
            {
                "Authorization": f"Bearer {api.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "hologram-pipeline",
            }
        )
        self._base = api.api_url
        self._origin = urlsplit(api.api_url)[:2]
        self._timeout = timeout_s

    def call(self, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
        if urlsplit(url)[:2] != self._origin:
            raise ValueError("a next page outside GITHUB_API_URL: not followed (the token stays home)")
        answer = self._session.request(method, url, json=body, timeout=self._timeout, allow_redirects=False)
        if answer.status_code == 403:
            raise _Forbidden(f"HTTP 403: {answer.text}")
        if not 200 <= answer.status_code < 300:
            raise OSError(f"HTTP {answer.status_code} on {method}: {answer.text}")
        return answer

    def login(self) -> str:
        """Who this token posts as: /user for a personal token; Actions' token cannot read it (403) and is the bot."""
        try:
            login = self.call("GET", f"{self._base}/user").json().get("login")
        except (_Forbidden, OSError, ValueError):
            return BOT_LOGIN
        return login if isinstance(login, str) else BOT_LOGIN

    def comments(self, repository: str, number: int) -> list[dict[str, Any]]:
        url: str | None = f"{self._base}/repos/{repository}/issues/{number}/comments?per_page=100"
        found: list[dict[str, Any]] = []
        while url:
            answer = self.call("GET", url)
            page = answer.json()
            if not isinstance(page, list):
                raise ValueError("the comment list is not a JSON list")
            found += [c for c in page if isinstance(c, dict)]
            url = answer.links.get("next", {}).get("url")
        return found


def ours(comments: list[dict[str, Any]], login: str) -> dict[str, Any] | None:
    """The comment this pipeline wrote before: the marker, by the same author (a person quoting the marker is not
    edited); the oldest when several."""
    for c in comments:
        author = c.get("user")
        if (
            isinstance(author, dict)
            and author.get("login") == login
            and MARKER in str(c.get("body") or "")
            and isinstance(c.get("id"), int)
        ):
            return c
    return None


def post(body: str, api: PullRequestApi, secrets: list[str], timeout_s: float = TIMEOUT_S) -> Posted:
    """Create or edit the PR's one comment. Never raises for GitHub's sake: the outcome says what happened, with every
    answer redacted (the token and the configured secrets)."""
    from hologram_lib.ci.notify import within

    if api.token is None:
        return Posted(Posting.SKIPPED, "GITHUB_TOKEN is not set (nothing posted)")
    if api.repository is None:
        return Posted(Posting.SKIPPED, "GITHUB_REPOSITORY is not set (nothing posted)")
    pr = pull_request(api.event_path)
    if pr is None:
        return Posted(Posting.SKIPPED, "not a pull request event (GITHUB_EVENT_PATH): nothing posted")
    if pr.fork:
        return Posted(
            Posting.SKIPPED, f"PR #{pr.number} comes from a fork, whose token cannot write: the job summary has it"
        )
    repository, known = api.repository, [api.token, *secrets]

    def converse() -> Posted:
        client = _Api(api, timeout_s)
        login = client.login()
        existing = ours(client.comments(repository, pr.number), login)
        if existing is None:
            client.call("POST", f"{api.api_url}/repos/{repository}/issues/{pr.number}/comments", {"body": body})
            return Posted(Posting.CREATED, f"PR #{pr.number}")
        client.call("PATCH", f"{api.api_url}/repos/{repository}/issues/comments/{existing['id']}", {"body": body})
        return Posted(Posting.UPDATED, f"PR #{pr.number} (comment {existing['id']})")

    try:
        return within(timeout_s, converse)
    except _Forbidden as exc:
        said = one_line(str(exc), known, limit=160)
        return Posted(Posting.SKIPPED, f"{said} — the token may not write to PR #{pr.number}; the job summary has it")
    except (OSError, ValueError) as exc:  # requests' errors are OSErrors; a TimeoutError too
        return Posted(Posting.FAILED, one_line(f"{type(exc).__name__}: {exc}", known, limit=240))
