"""Which repository and machine measured a run: the history's lanes. Levels are only compared inside one lane —
a series, a change point, a history baseline — because another repository measures other code and another kind of
machine measures at another speed; a store merged from several repositories and runners keeps every lane apart.

The repository is GitHub's `owner/name` (GITHUB_REPOSITORY in Actions), else the `owner/name` of the checkout's
`origin` remote, else UNKNOWN (no git, no remote). The machine is machine.fingerprint().
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hologram_lib.provenance import git

UNKNOWN = "unknown"
# "git@github.com:owner/name.git", "https://host/owner/name(.git)", "/srv/git/name": the last two path segments.
_REMOTE_TAIL = re.compile(r"([^/:]+/[^/:]+?|[^/:]+?)(?:\.git)?/?$")


@dataclass(frozen=True)
class Lane:
    """One repository's runs on one kind of machine. `machine` None: any machine of that repository (re-judging a
    recorded verdict on the very runs it named, whichever runner measured them)."""

    repository: str
    machine: str | None

    def label(self) -> str:
        return f"{self.repository} on {self.machine or 'any machine'}"


def repository_of_remote(url: str) -> str | None:
    """`owner/name` from a git remote URL (None for an empty one)."""
    found = _REMOTE_TAIL.search(url.strip())
    return found.group(1) if found and found.group(1) else None


def _origin_url(where: Path) -> str | None:
    try:
        done = git(where, "config", "--get", "remote.origin.url", timeout_s=5)
    except (OSError, subprocess.SubprocessError):  # no git at all, or a hung one: no remote to name
        return None
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def current_repository(where: Path | None = None) -> str:
    """The repository this process measures for: GITHUB_REPOSITORY, else the origin remote's owner/name, else
    UNKNOWN."""
    from hologram_lib.ci.run import ci_run

    named = (ci_run().repository or "").strip()
    if named:
        return named
    url = _origin_url(where or Path.cwd())
    return (repository_of_remote(url) if url else None) or UNKNOWN


def current_lane() -> Lane:
    """This repository on this machine: the only runs a baseline or a change-point gate here may use."""
    from hologram_lib import machine

    return Lane(current_repository(), machine.fingerprint())
