"""`make bench`: how fast the `hologram` command starts — `--help`, a command's `--help`, and `verdict` on an empty
folder (every import the judge needs, no data to judge) — as wall time and as the import time Python reports.

Run from the project root: `.venv/bin/python tests/bench/bench_cli.py [--repeats N] [--tree PATH …]`; `--tree` runs
the `hologram_lib` of that checkout (e.g. a worktree of the commit before a change) with this venv's Python, so that
a before / after pair differs in the code only; several trees are measured interleaved. Target: `hologram --help`
loads none of the heavy libraries (numpy, pandas, matplotlib, papermill, duckdb; tests/test_commands.py holds it).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.results import Figure  # noqa: E402
from tests.bench.table import print_table  # noqa: E402

HEAVY = ("numpy", "pandas", "matplotlib", "papermill", "duckdb")
# One top-level line of `python -X importtime`: "import time: self | cumulative | name" with the name unindented.
TOP_LEVEL_IMPORT = re.compile(r"^import time:\s+\d+ \|\s+(\d+) \| (\S+)$")


def timed_s(command: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-500:]}")
    return seconds


def import_profile(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, list[str]]:
    """Milliseconds spent importing (the top-level imports' cumulative times) and the heavy libraries loaded."""
    command = [sys.executable, "-X", "importtime", "-m", "hologram_lib.cli", *args]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    total_us, loaded = 0, set()
    for line in done.stderr.splitlines():
        if match := TOP_LEVEL_IMPORT.match(line):
            total_us += int(match.group(1))
        name = line.rpartition("|")[2].strip()
        if name.split(".")[0] in HEAVY:
            loaded.add(name.split(".")[0])
    return total_us / 1000, sorted(loaded)


def _figure_name(label: str) -> str:
    """`verdict_help` for "hologram verdict --help [main]": the id's second part."""
    words = label.partition(" [")[0].replace("hologram ", "").replace("-", " ").replace("(", " ").replace(")", " ")
    return "_".join(words.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument(
        "--tree", type=Path, action="append", help="a checkout whose hologram_lib runs (repeatable; default this one)"
    )
    options = parser.parse_args()
    trees = [tree.resolve() for tree in options.tree or [ROOT]]
    commands = {
        "python -c pass": ["-c", "pass"],
        "hologram --help": ["-m", "hologram_lib.cli", "--help"],
        "hologram verdict --help": ["-m", "hologram_lib.cli", "verdict", "--help"],
        "hologram verdict (empty folder)": ["-m", "hologram_lib.cli", "verdict"],
    }
    cases = [
        (f"{name} [{tree.name}]", tree, [sys.executable, *args]) for name, args in commands.items() for tree in trees
    ]
    walls: dict[str, list[float]] = {label: [] for label, _, _ in cases}
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)  # an empty folder: `verdict` finds nothing to judge, so it costs its imports and one pass
        for _ in range(options.repeats):  # interleaved: the machine's mood of a minute hits every case and tree alike
            for label, tree, command in cases:
                walls[label].append(timed_s(command, {**os.environ, "PYTHONPATH": str(tree)}, cwd) * 1000)
        profiles = {
            label: [import_profile(command[3:], {**os.environ, "PYTHONPATH": str(tree)}, cwd) for _ in range(5)]
            for label, tree, command in cases
            if label.startswith("hologram")
        }
    print(f"trees: {', '.join(str(tree) for tree in trees)}")
    if options.tree:  # a before / after comparison of other checkouts: printed, never recorded as this one's figures
        for label, values in walls.items():
            low, mid, high = min(values), statistics.median(values), max(values)
            print(f"| {label} | median {mid:.4g} ms | min {low:.4g} | max {high:.4g} |")
    else:
        figures = [Figure(_figure_name(label), label, "", values, "ms") for label, values in walls.items()]
        print_table(__file__, figures, options.repeats)
    print()
    for label, runs in profiles.items():
        import_ms, heavy = statistics.median(ms for ms, _ in runs), ", ".join(runs[0][1]) or "none"
        print(f"{label}: imports {import_ms:.0f} ms (median of {len(runs)}), heavy libraries: {heavy}")


if __name__ == "__main__":
    main()
