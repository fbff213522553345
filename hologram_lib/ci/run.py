"""The GitHub Actions run this process is part of, as its variables describe it: where its page and job summary
are, and what posting on its pull request needs. Unchecked here (ci.links checks the URLs)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hologram_lib.config import environment


@dataclass(frozen=True)
class CiRun:
    """The GitHub Actions run as its variables describe it, unchecked (ci.links checks them)."""

    server_url: str | None
    repository: str | None
    run_id: str | None
    step_summary: str | None


def ci_run(environ: Mapping[str, str] | None = None) -> CiRun:
    env = environment(environ)
    names = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID", "GITHUB_STEP_SUMMARY")
    server, repository, run_id, summary = (env.get(name) for name in names)
    return CiRun(server, repository, run_id, summary or None)


@dataclass(frozen=True)
class PullRequestApi:
    """What `hologram comment` needs to post on a pull request: the token (a secret), the repository, the event file
    that names the PR and the REST API's base URL (GitHub Enterprise has its own)."""

    token: str | None
    repository: str | None
    event_path: Path | None
    api_url: str


def pull_request_api(environ: Mapping[str, str] | None = None) -> PullRequestApi:
    env = environment(environ)
    event = env.get("GITHUB_EVENT_PATH", "").strip()
    return PullRequestApi(
        token=env.get("GITHUB_TOKEN", "").strip() or None,
        repository=env.get("GITHUB_REPOSITORY", "").strip() or None,
        event_path=Path(event) if event else None,
        api_url=(env.get("GITHUB_API_URL", "").strip() or "https://api.github.com").rstrip("/"),
    )
