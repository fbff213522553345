"""`make bench`: the embedded stack's targets — start time, resolve and publish latency, memory — and the
E2E probe's wall time and own overhead against that stack.

Run from the project root: `.venv/bin/python tests/bench/bench_stack.py [--repeats N]`. Each repeat uses a
fresh state directory; figures are medians over repeats (the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hologram_lib import config, stats  # noqa: E402
from hologram_lib.clients import GraphQLClient, IpfsClient  # noqa: E402
from hologram_lib.devstack import stack  # noqa: E402
from hologram_lib.e2e.probe import Probe  # noqa: E402
from hologram_lib.perf.harness import measure  # noqa: E402
from tests.bench.table import print_table  # noqa: E402

RESOLVE = "query($n:String!){ resolve(name:$n){ cid encoding proofs { merkleRoot witnesses } } }"
PUBLISH = "mutation($n:String!,$c:String!,$v:String){ publishApp(name:$n,cid:$c,version:$v){ ok } }"
# The abusive document of issue 10: 10,000 aliases of resolve (≈ 0.4 MB), once 7.2 s and a frozen server.
ALIASES_10K = json.dumps(
    {"query": "{" + " ".join(f'a{i}: resolve(name: "demo/object/alpha") {{ cid }}' for i in range(10_000)) + "}"}
)
HEADERS = {"Content-Type": "application/json"}


def rss_mib(pid: int) -> float:
    """Resident memory (VmRSS) of one process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def abuse(url: str) -> dict[str, float]:
    """p95 of refusing the 10,000-alias document, and of `{__typename}` from another client while a third keeps
    sending that document."""
    with requests.Session() as abuser, requests.Session() as client:

        def refuse() -> None:
            assert abuser.post(url, data=ALIASES_10K, headers=HEADERS, timeout=30).json()["errors"]

        refused = measure(refuse, 60, warmup=3)
        stop = threading.Event()

        def keep_abusing() -> None:
            with requests.Session() as third:
                while not stop.is_set():
                    third.post(url, data=ALIASES_10K, headers=HEADERS, timeout=30)

        thread = threading.Thread(target=keep_abusing)
        thread.start()
        try:
            typename = measure(lambda: client.post(url, json={"query": "{ __typename }"}, timeout=30), 200, warmup=5)
        finally:
            stop.set()
            thread.join()
    return {
        "refuse_10k_aliases_p95_ms": stats.quantile(stats.as_sorted(refused)),
        "typename_during_abuse_p95_ms": stats.quantile(stats.as_sorted(typename)),
    }


def one_run() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        info = stack.up(Path(tmp), reports_dir=None)
        up_s = time.perf_counter() - start
        try:
            token = stack.read_token(tmp)
            with GraphQLClient(info.graphql_url, token) as graphql, IpfsClient(info.ipfs_api) as ipfs:
                resolve = measure(lambda: graphql.execute(RESOLVE, {"n": "demo/object/alpha"}), 200, warmup=10)
                payloads = [os.urandom(1024 * 1024) for _ in range(60)]
                cids = iter([ipfs.add(p) for p in payloads])
                version = iter(range(10_000))
                publish = measure(
                    lambda: graphql.execute(PUBLISH, {"n": "bench/app", "c": next(cids), "v": str(next(version))}),
                    55,
                    warmup=5,
                )
            env = {"IPFS_API": info.ipfs_api, "GRAPHQL_URL": info.graphql_url, "GRAPHQL_TOKEN": token}
            probes = [Probe(config.probe_settings(environ=env), Path(tmp, "events.jsonl")).run() for _ in range(10)]
            assert all(p.status == "ok" for p in probes), [p.error for p in probes]
            memory = rss_mib(info.ipfs_pid) + rss_mib(info.graphql_pid)
            abused = abuse(info.graphql_url)
        finally:
            stack.down(Path(tmp))
    return {
        "up_s": up_s,
        "resolve_p95_ms": stats.quantile(stats.as_sorted(resolve)),
        "publish_1mib_p95_ms": stats.quantile(stats.as_sorted(publish)),
        "rss_mib": memory,
        "probe_wall_s": statistics.median(p.wall_s for p in probes),
        "probe_overhead_pct": statistics.median(100 * (p.wall_s - p.waited_s) / p.wall_s for p in probes),
        **abused,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    stack.ensure_node_modules()
    runs = [one_run() for _ in range(repeats)]
    keys = [
        ("`stack up` to both ready (fresh state)", "≤ 5 s", "up_s", "s"),
        ("resolve p95, 200 samples, one keep-alive connection", "≤ 10 ms", "resolve_p95_ms", "ms"),
        ("publish of a 1 MiB app, p95 of 55", "≤ 100 ms", "publish_1mib_p95_ms", "ms"),
        ("stack memory, both processes (RSS after the runs)", "≤ 500 MiB", "rss_mib", "MiB"),
        ("full E2E probe run (median of 10 per repeat)", "≤ 3 s", "probe_wall_s", "s"),
        ("probe's own overhead (wall − time waiting on servers)", "≤ 10 %", "probe_overhead_pct", "%"),
        ("10,000-alias query refused (p95 of 60, one client)", "≤ 50 ms", "refuse_10k_aliases_p95_ms", "ms"),
        ("`{__typename}` p95 of 200 while another client sends it", "< 50 ms", "typename_during_abuse_p95_ms", "ms"),
    ]
    print_table([(name, target, [run[key] for run in runs], unit) for name, target, key, unit in keys], repeats)


if __name__ == "__main__":
    main()
