"""`make bench`: `hologram bisect --measure instructions` over 64 commits, end to end.

Run from the project root: `.venv/bin/python tests/bench/bench_bisect.py [--repeats 3]`.

A scratch git repository: a copy of this checkout's hologram_lib, then 64 commits touching a notes file, one of them
(a different position each repeat) adding ≈3 % of instructions to atlas.encode. `hologram bisect --good HEAD~64
--metric core.encode_1MB_instructions --threshold-pct 2` must name that commit in ≤ 7 measured commits (good + 6
halvings); the table gives its measured commits and wall time (target ≤ 3 minutes here), median, min and max.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.results import Figure  # noqa: E402
from tests.bench.table import print_table  # noqa: E402

ENCODE_RETURN = "    return AtlasState(len(payload), grids)\n"
PLUS3 = ENCODE_RETURN.replace("    return", "    for _ in range(840):  # extra work\n        pass\n    return")
CANDIDATES = 64
CULPRITS = (41, 17, 53)  # positions among the 64 candidates, one per repeat (cycled)


def _git(repo: Path, *args: str) -> str:
    command = ["git", "-C", str(repo), "-c", "user.name=b", "-c", "user.email=b@b", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def scratch_history(repo: Path, culprit: int) -> str:
    """The package, then CANDIDATES commits; the one at `culprit` (0-based) slows encode. Its hash."""
    shutil.copytree(ROOT / "hologram_lib", repo / "hologram_lib", ignore=shutil.ignore_patterns("__pycache__"))
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "the package")
    atlas, notes = repo / "hologram_lib" / "atlas.py", repo / "NOTES.txt"
    found = ""
    for position in range(CANDIDATES):
        if position == culprit:
            atlas.write_text(atlas.read_text().replace(ENCODE_RETURN, PLUS3))
        else:
            notes.write_text((notes.read_text() if notes.exists() else "") + f"note {position}\n")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-qm", f"commit {position}")
        if position == culprit:
            found = _git(repo, "rev-parse", "HEAD")
    return found


def one_bisection(culprit: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory(prefix="bench-bisect-") as scratch:
        repo = Path(scratch) / "repo"
        expected = scratch_history(repo, culprit)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "hologram_lib.cli", "bisect", "--good", f"HEAD~{CANDIDATES}", "--measure",
             "instructions", "--metric", "core.encode_1MB_instructions", "--threshold-pct", "2",
             "--perf-dir", str(Path(scratch) / "perf")],
            cwd=repo, capture_output=True, text=True, check=False,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        assert done.returncode == 0, done.stdout + done.stderr
        document = json.loads((Path(scratch) / "perf" / "bisect.json").read_text())
        assert document["answer"]["first_bad"]["commit"] == expected, document["answer"]
        return seconds, int(document["measured_commits"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    results = [one_bisection(CULPRITS[i % len(CULPRITS)]) for i in range(args.repeats)]
    print_table(
        __file__,
        [
            Figure("measured_commits", "bisect 64 commits on counts: measured commits", "≤ 7",
                   [float(r[1]) for r in results], ""),
            Figure("wall", "bisect 64 commits on counts: wall time", "≤ 180 s", [r[0] for r in results], "s"),
        ],
        args.repeats,
    )  # fmt: skip


if __name__ == "__main__":
    main()
