"""A bounded load test of the marketplace with Locust (headless): concurrent publish + resolve + search.

`make soak` runs it at full size against a fresh embedded stack:
    .venv/bin/python tests/load_marketplace.py --users 50 --spawn-rate 10 --run-time 30s
and exits 1 when a publish was lost (a published name that does not resolve to its CID afterwards) or any answer
was a 5xx. tests/test_load_marketplace.py runs a small size in `make test`. For a real deployment, the same
locustfile scales out with Locust's distributed mode (`locust --master` plus `locust --worker` processes, see
https://docs.locust.io/en/stable/running-distributed.html); nothing here replaces it.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hologram_lib.devstack import stack as devstack  # noqa: E402

LOCUSTFILE = Path(__file__).with_name("locust_marketplace.py")
RESOLVE = "query($n:String!){ resolve(name:$n){ cid } }"


@dataclass(frozen=True)
class LoadResult:
    requests: int
    failures: int
    server_errors: int
    requests_per_s: float
    p95_ms: dict[str, float]  # per request name, and "Aggregated"
    published: int
    lost: list[str]

    @property
    def passed(self) -> bool:
        return self.server_errors == 0 and not self.lost and self.published > 0


def _stats(csv_prefix: Path) -> tuple[dict[str, dict[str, str]], list[dict[str, str]]]:
    with open(f"{csv_prefix}_stats.csv", newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    with open(f"{csv_prefix}_failures.csv", newline="") as handle:
        failures = list(csv.DictReader(handle))
    return rows, failures


def lost_publishes(graphql_url: str, published: list[tuple[str, str]]) -> list[str]:
    """Names whose resolve does not answer the CID their publish returned."""
    lost = []
    with requests.Session() as session:
        for name, cid in published:
            answer = session.post(graphql_url, json={"query": RESOLVE, "variables": {"n": name}}, timeout=30).json()
            if ((answer.get("data") or {}).get("resolve") or {}).get("cid") != cid:
                lost.append(name)
    return lost


def run_load(info: devstack.StackInfo, out_dir: Path, *, users: int, spawn_rate: int, run_time: str) -> LoadResult:
    out_dir.mkdir(parents=True, exist_ok=True)
    published_log = out_dir / "published.json"
    argv = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
        "--users", str(users), "--spawn-rate", str(spawn_rate), "--run-time", run_time, "--stop-timeout", "10",
        "--host", info.graphql_url, "--ipfs-api", info.ipfs_api, "--token-file", str(Path(info.state_dir) / "token"),
        "--published-log", str(published_log), "--csv", str(out_dir / "locust"), "--loglevel", "WARNING",
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False, cwd=out_dir)
    if not published_log.exists():
        raise RuntimeError(f"locust did not finish (exit {done.returncode}): {done.stderr[-2000:]}")
    rows, failures = _stats(out_dir / "locust")
    published = [tuple(pair) for pair in json.loads(published_log.read_text())]
    total = rows["Aggregated"]
    return LoadResult(
        requests=int(total["Request Count"]),
        failures=int(total["Failure Count"]),
        server_errors=sum(int(f["Occurrences"]) for f in failures if "HTTP 5" in f["Error"]),
        requests_per_s=float(total["Requests/s"]),
        p95_ms={name: float(row["95%"]) for name, row in rows.items()},
        published=len(published),
        lost=lost_publishes(info.graphql_url, published),  # type: ignore[arg-type]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=int, default=10)
    parser.add_argument("--run-time", default="30s")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        info = devstack.up(Path(tmp, "stack"), reports_dir=None)
        try:
            result = run_load(
                info, Path(tmp, "load"), users=args.users, spawn_rate=args.spawn_rate, run_time=args.run_time
            )
        finally:
            devstack.down(Path(tmp, "stack"))
    print(f"users {args.users}, spawn rate {args.spawn_rate}/s, run time {args.run_time}")
    print(f"requests {result.requests}, failures {result.failures}, 5xx {result.server_errors}, "
          f"throughput {result.requests_per_s:.1f} req/s")  # fmt: skip
    for name, p95 in sorted(result.p95_ms.items()):
        print(f"  p95 {name}: {p95:.0f} ms")
    print(f"published {result.published}, lost {len(result.lost)}: {result.lost[:5]}")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
