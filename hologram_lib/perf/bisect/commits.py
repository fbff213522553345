"""The commits a bisection walks, from git: the candidates along a first-parent line, the range checked before
anything is measured (a clean tree, two refs, good an ancestor of bad), and the branch a merge brought in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hologram_lib.errors import InputError
from hologram_lib.perf.worktrees import repository_root, resolve_ref
from hologram_lib.provenance import git


@dataclass(frozen=True)
class Commit:
    hash: str
    subject: str

    def label(self) -> str:
        return f"{self.hash[:12]} {self.subject}"


def subject(root: Path, commit: str) -> str:
    return git(root, "log", "-1", "--format=%s", commit).stdout.strip()


def candidates(root: Path, good: str, bad: str) -> list[Commit]:
    """The commits after good up to bad along bad's first-parent line, oldest first."""
    done = git(root, "rev-list", "--reverse", "--first-parent", "--format=%H %s", f"{good}..{bad}")
    commits = []
    for row in done.stdout.splitlines():
        if row.startswith("commit "):
            continue
        hash_, _, text = row.partition(" ")
        commits.append(Commit(hash_, text))
    return commits


def check_repository(start: Path, good_ref: str, bad_ref: str) -> tuple[Path, Commit, Commit]:
    """The checkout's root and the two commits; a dirty tree, a missing ref or refs that are not ancestor and
    descendant are an InputError (exit 2), found before anything is measured."""
    root = repository_root(start, "bisect")
    dirty = git(root, "status", "--porcelain", "--untracked-files=no").stdout.strip()
    if dirty:
        raise InputError(
            f"bisect: the working tree has uncommitted changes ({dirty.splitlines()[0].strip()}…): commit or stash "
            "them first"
        )
    good = resolve_ref(root, good_ref, "--good")
    bad = resolve_ref(root, bad_ref, "--bad")
    if good == bad:
        raise InputError(f"bisect: --good {good_ref} and --bad {bad_ref} are the same commit: nothing to bisect")
    if git(root, "merge-base", "--is-ancestor", good, bad).returncode != 0:
        raise InputError(f"bisect: --good {good_ref} is not an ancestor of --bad {bad_ref}: expected good before bad")
    return root, Commit(good, subject(root, good)), Commit(bad, subject(root, bad))


def merged_branch(root: Path, commit: Commit) -> list[Commit]:
    """The first-parent line of the branch a merge commit brought in (merge^1..merge^2); [] for any other commit."""
    parents = git(root, "rev-list", "--parents", "-n", "1", commit.hash).stdout.split()[1:]
    return candidates(root, parents[0], parents[1]) if len(parents) == 2 else []
