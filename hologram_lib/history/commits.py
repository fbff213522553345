"""Commit subjects for the history page, from the local git repository: the store keeps a run's commit hash only,
and a person browsing by commit recognises a change by its subject line. Best effort — no git, no repository, or a
commit this clone does not have (another repository's, or a shallow CI clone's) simply has no subject."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

_HASH = re.compile(r"[0-9a-f]{7,64}")
_TIMEOUT_S = 30.0


def _parse_batch(output: bytes, wanted: list[str]) -> dict[str, str]:
    """`git cat-file --batch` output, one object per requested name in order: `<sha> <type> <size>\\n<content>\\n`
    or `<name> missing\\n` (also `ambiguous`)."""
    subjects: dict[str, str] = {}
    at = 0
    for name in wanted:
        end = output.find(b"\n", at)
        if end < 0:
            break
        header = output[at:end].split()
        at = end + 1
        if len(header) != 3:
            continue  # missing / ambiguous: nothing follows the header
        size = int(header[2])
        content = output[at : at + size]
        at += size + 1
        if header[1] == b"commit":
            message = content.partition(b"\n\n")[2]
            subject = message.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip()
            if subject:
                subjects[name] = subject
    return subjects


def commit_subjects(commits: Iterable[str | None], repo: Path) -> dict[str, str]:
    """commit → its subject line, for the commits that the git repository at `repo` holds ({} without git)."""
    wanted = sorted({c for c in commits if c and _HASH.fullmatch(c)})
    git = shutil.which("git")
    if not wanted or git is None:
        return {}
    try:
        done = subprocess.run(
            [git, "-C", str(repo), "cat-file", "--batch"],
            input=("\n".join(wanted) + "\n").encode("ascii"),
            capture_output=True,
            timeout=_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    return _parse_batch(done.stdout, wanted) if done.returncode == 0 else {}
