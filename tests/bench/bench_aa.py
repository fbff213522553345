"""A/A as a user runs it: `perf collect --runs 10` twice, `baseline promote`, `baseline compare`, N tries.

Run from the project root: `.venv/bin/python tests/bench/bench_aa.py [--tries 100] [--suite core]…`. Counts, per
metric, the tries whose comparison came out green (nothing `regressed`): the "Done when" of the runs issue is
≥ 99 of 100 per metric on this machine. Services need `IPFS_API` / `GRAPHQL_URL` (e.g. under `hologram stack run`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.results import Figure  # noqa: E402
from tests.bench.table import print_table  # noqa: E402

HOLOGRAM = [sys.executable, "-m", "hologram_lib.cli"]


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GITHUB_REF_NAME": "main"}
    return subprocess.run([*HOLOGRAM, *args], cwd=ROOT, capture_output=True, text=True, env=env, check=False)


def one_try(tmp: Path, suites: list[str]) -> dict[str, str]:
    suite_args = [a for s in suites for a in ("--suite", s)]
    for name in ("base", "current"):
        done = run("perf", "collect", *suite_args, "--runs", "10", "--max-runs", "10", "--perf-dir", str(tmp / name))
        if done.returncode not in (0, 1):
            raise SystemExit(done.stderr)
    baseline = tmp / "baseline.json"
    promoted = run("baseline", "promote", "--perf-dir", str(tmp / "base"), "--baseline", str(baseline), "--force")
    if promoted.returncode != 0:
        raise SystemExit(promoted.stderr)
    out = tmp / "drift.json"
    run("baseline", "compare", "--perf-dir", str(tmp / "current"), "--baseline", str(baseline), "--json", str(out))
    return {d["metric"]: d["status"] for d in json.loads(out.read_text())["drifts"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tries", type=int, default=100)
    parser.add_argument("--suite", action="append")
    args = parser.parse_args()
    suites = args.suite or ["core"]
    statuses: dict[str, Counter] = {}
    for number in range(1, args.tries + 1):
        with tempfile.TemporaryDirectory() as tmp:
            for metric, status in one_try(Path(tmp), suites).items():
                statuses.setdefault(metric, Counter())[status] += 1
        print(f"try {number}: " + ", ".join(f"{m} {dict(c)}" for m, c in sorted(statuses.items())), file=sys.stderr)
    figures = []
    for metric, counts in sorted(statuses.items()):
        tries = sum(counts.values())
        figures += [
            Figure(f"{metric}.green", f"{metric}: green (not regressed), of {tries}", "≥ 99 %",
                   [100 * (tries - counts["regressed"]) / tries], "%"),
            *(Figure(f"{metric}.{status}", f"{metric}: {status}, of {tries}", "—", [100 * counts[status] / tries], "%")
              for status in ("regressed", "inconclusive", "unchanged", "improved")),
        ]  # fmt: skip
    print_table(__file__, figures, args.tries)


if __name__ == "__main__":
    main()
