"""The git side of an A/B: resolve refs, and check a commit out into a temporary worktree that is removed whatever
happens (or, after a SIGKILL, by the next run: the worktree's folder lock is held while it is in use)."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hologram_lib.errors import InputError
from hologram_lib.provenance import git


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "no message")


def resolve_ref(root: Path, ref: str, flag: str = "--base/--head") -> str:
    done = git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if done.returncode != 0:
        raise InputError(f"{flag} {ref!r}: expected a commit, branch or tag of this repository (no such ref)")
    return done.stdout.strip()


_AB_TREE = re.compile(r"hologram-ab-[A-Za-z0-9_]+/tree")


def prune_abandoned_worktrees(root: Path) -> list[Path]:
    """Remove the worktrees of `ab` runs that were killed (SIGKILL skips their `finally`): a worktree of ours whose
    folder lock nobody holds. A running `ab` holds the lock on its folder, so its worktree is left alone."""
    from hologram_lib.errors import Busy
    from hologram_lib.locks import locked

    listing = git(root, "worktree", "list", "--porcelain").stdout
    removed = []
    for line in listing.splitlines():
        tree = Path(line.removeprefix("worktree ")) if line.startswith("worktree ") else None
        if tree is None or not _AB_TREE.search(tree.as_posix()):
            continue
        try:
            with locked(tree.parent, wait=False):
                git(root, "worktree", "remove", "--force", str(tree))
                shutil.rmtree(tree.parent, ignore_errors=True)
                removed.append(tree)
        except Busy:
            continue
    git(root, "worktree", "prune")
    return removed


@contextmanager
def worktree(root: Path, commit: str) -> Iterator[Path]:
    """A detached git worktree of `commit` in a temp dir, removed afterwards whatever happens (or, after a SIGKILL,
    by the next run: the folder's lock is held while the worktree is in use)."""
    from hologram_lib.locks import locked

    prune_abandoned_worktrees(root)
    parent = Path(tempfile.mkdtemp(prefix="hologram-ab-"))
    tree = parent / "tree"
    try:
        with locked(parent):
            done = git(root, "worktree", "add", "--detach", str(tree), commit)
            if done.returncode != 0:
                raise InputError(f"cannot create a git worktree of {commit[:12]}: {_first_line(done.stderr)}")
            yield tree
    finally:
        git(root, "worktree", "remove", "--force", str(tree))
        shutil.rmtree(parent, ignore_errors=True)
        git(root, "worktree", "prune")


def repository_root(start: Path, command: str = "ab") -> Path:
    done = git(start, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        reason = _first_line(done.stderr)
        raise InputError(f"hologram {command}: expected to run inside a git checkout ({reason})", start)
    return Path(done.stdout.strip())


def has_changes(root: Path) -> bool:
    """Tracked files changed in the working tree of `root` (an A/B of it judges that commit plus them)."""
    return bool(git(root, "status", "--porcelain", "--untracked-files=no").stdout.strip())
