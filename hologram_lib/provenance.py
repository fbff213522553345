"""Where a measurement came from: the commit and branch being built, whether it is a CI build of main, and the
record a baseline or a history run keeps of it. Also the package's one way to run git."""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Mapping
from pathlib import Path

from hologram_lib import machine
from hologram_lib.config import PerfKnobs, environment


def git(root: Path | None, *args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    """`git -C root args…` (the working directory when root is None), its output captured as text. A failing git
    command is a return code to look at, not an exception; no git at all is an OSError."""
    where = ["-C", str(root)] if root is not None else []
    return subprocess.run(["git", *where, *args], capture_output=True, text=True, timeout=timeout_s, check=False)


def git_output(*args: str) -> str | None:
    """The trimmed output of a git query in the working directory, or None — best effort: no git, no repository, a
    hung git (5 s) or an empty answer all mean "unknown", never an error."""
    try:
        done = git(None, *args, timeout_s=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def current_branch(environ: Mapping[str, str] | None = None) -> str | None:
    """The branch being built: GitHub's head ref on a PR, its ref name on a push, else git's."""
    env = environment(environ)
    return env.get("GITHUB_HEAD_REF") or env.get("GITHUB_REF_NAME") or git_output("rev-parse", "--abbrev-ref", "HEAD")


def commit(environ: Mapping[str, str] | None = None) -> str | None:
    """The commit being built: GitHub's SHA in Actions, else git's HEAD."""
    return environment(environ).get("GITHUB_SHA") or git_output("rev-parse", "HEAD")


def ci_main_build(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this is a CI build of main (a push, the nightly or a manual run on refs/heads/main): the only runs
    that become "green main" history on their own. A laptop on branch main is not one."""
    env = environment(environ)
    event = env.get("GITHUB_EVENT_NAME", "")
    return event in ("push", "schedule", "workflow_dispatch") and env.get("GITHUB_REF", "") == "refs/heads/main"


def provenance(profile: str, knobs: PerfKnobs, environ: Mapping[str, str] | None = None) -> dict[str, object]:
    """Where a measurement came from, for a baseline."""
    env = environment(environ)
    return {
        "commit": commit(env),
        "branch": current_branch(env),
        "runner": machine.runner_name(env),
        "python": platform.python_version(),
        "profile": profile,
        "knobs": knobs.public(),
    }
