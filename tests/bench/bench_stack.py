"""`make bench`: the embedded stack's targets — start time, resolve and publish latency, memory — and the
E2E probe's wall time and own overhead against that stack; then the IPFS node (Kubo) alone: a later `stack up`,
its memory at rest and after a 200 MiB add.

Run from the project root: `.venv/bin/python tests/bench/bench_stack.py [--repeats N] [--cold-build]`. Each
repeat uses a fresh state directory; figures are medians over repeats (the machine is shared and noisy).
`--cold-build` also times a first-time build of Kubo with empty Go module and build caches (minutes; the
network to the Go module proxy is part of it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
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
from hologram_lib.devstack import kubo, stack  # noqa: E402
from hologram_lib.e2e.probe import Probe  # noqa: E402
from hologram_lib.perf.harness import measure  # noqa: E402
from tests.bench.results import Figure  # noqa: E402
from tests.bench.table import print_table  # noqa: E402

RESOLVE = "query($n:String!){ resolve(name:$n){ cid encoding proofs { merkleRoot witnesses } } }"
PUBLISH = "mutation($n:String!,$c:String!,$v:String){ publishApp(name:$n,cid:$c,version:$v){ ok } }"
# The abusive document of issue 10: 10,000 aliases of resolve (≈ 0.4 MB), once 7.2 s and a frozen server.
ALIASES_10K = json.dumps(
    {"query": "{" + " ".join(f'a{i}: resolve(name: "demo/object/alpha") {{ cid }}' for i in range(10_000)) + "}"}
)
HEADERS = {"Content-Type": "application/json"}


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of one process, in MiB: now (VmRSS) or its peak so far (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def node_run() -> dict[str, float]:
    """The IPFS node alone: memory at rest (the stack up and seeded, 2 s idle), a 200 MiB add (its time, the node's
    memory after it and at its peak), then a later `stack up` of the same state directory to ready."""
    with tempfile.TemporaryDirectory() as tmp:
        info = stack.up(Path(tmp), reports_dir=None)
        try:
            time.sleep(2)
            rest = rss_mib(info.ipfs_pid)
            data = os.urandom(200 * 1024 * 1024)
            with IpfsClient(info.ipfs_api, timeout_s=600) as ipfs:
                start = time.perf_counter()
                ipfs.add(data)
                add_s = time.perf_counter() - start
            after, peak = rss_mib(info.ipfs_pid), rss_mib(info.ipfs_pid, "VmHWM")
            stack.down(Path(tmp))
            start = time.perf_counter()
            stack.up(Path(tmp), reports_dir=None)
            later_up_s = time.perf_counter() - start
        finally:
            stack.down(Path(tmp))
    return {"rest_mib": rest, "add_s": add_s, "after_mib": after, "peak_mib": peak, "later_up_s": later_up_s}


def cold_build_s() -> float:
    """A first-time build of the pinned Kubo, as on a fresh machine: empty module and build caches, a new target."""
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(GOMODCACHE=f"{tmp}/mod", GOCACHE=f"{tmp}/build")
        start = time.perf_counter()
        try:
            kubo.build(kubo.pinned_version(), Path(tmp, "kubo", "ipfs"))
            return time.perf_counter() - start
        finally:
            subprocess.run(["chmod", "-R", "u+w", tmp], check=False)  # Go's module cache is read-only


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
    parser.add_argument("--cold-build", action="store_true", help="also time a first-time Kubo build (minutes)")
    args = parser.parse_args()
    repeats = args.repeats
    found = kubo.locate()  # built here first when missing: a one-off, not part of any figure below
    print(f"IPFS node: Kubo {found.version} ({found.path}, from {found.source})")
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
    figures = [Figure(key, name, target, [run[key] for run in runs], unit) for name, target, key, unit in keys]
    print_table(__file__, figures, repeats)
    nodes = [node_run() for _ in range(repeats)]
    node_keys = [
        ("later `stack up` to both ready (state kept)", "≤ 5 s", "later_up_s", "s"),
        ("IPFS node memory at rest (RSS)", "—", "rest_mib", "MiB"),
        ("add of 200 MiB (one request)", "—", "add_s", "s"),
        ("IPFS node memory after the 200 MiB add (RSS)", "—", "after_mib", "MiB"),
        ("IPFS node peak memory (VmHWM) through the add", "—", "peak_mib", "MiB"),
    ]
    print_table(__file__, [Figure(key, name, target, [run[key] for run in nodes], unit)
                           for name, target, key, unit in node_keys], repeats)  # fmt: skip
    if args.cold_build:
        cold = Figure("cold_build", "first-time Kubo build (empty Go caches, module downloads included)", "—",
                      [cold_build_s()], "s")  # fmt: skip
        print_table(__file__, [cold], 1)


if __name__ == "__main__":
    main()
