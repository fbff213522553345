"""Starting the stack's two services on its state directory and waiting until each answers: the Kubo daemon (the
preferred ports when free), the marketplace process, and the demo object the perf suite resolves."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from hologram_lib import atomic, config
from hologram_lib.clients import GraphQLClient, IpfsClient
from hologram_lib.devstack import kubo, kubo_node, processes
from hologram_lib.errors import ServiceError, StackError

PREFERRED_IPFS_PORT = 5001
PREFERRED_GATEWAY_PORT = 8080
PREFERRED_GRAPHQL_PORT = 4000
# Generous: a loaded CI runner once needed more than 60 s (`stack up --timeout` changes it).
START_TIMEOUT_S = 180.0
DEMO_OBJECT = "demo/object/alpha"


def announcement(pid: int, log_path: Path, key: str, deadline: float) -> str:
    """Wait for the JSON line a child prints once it listens; fail fast if the child dies."""
    while time.monotonic() < deadline:
        for line in reversed(log_path.read_text(errors="replace").splitlines() if log_path.exists() else []):
            if line.startswith("{") and key in line:
                try:
                    return str(json.loads(line)[key])
                except (ValueError, KeyError):
                    break
        if not processes.alive(pid):
            raise StackError(f"{log_path.stem} exited before it listened: {processes.log_tail(log_path)}")
        time.sleep(0.05)
    raise StackError(f"{log_path.stem} did not start within {START_TIMEOUT_S:g} s: {processes.log_tail(log_path)}")


def ipfs_answers(api: str, timeout_s: float = 2.0) -> None:
    with IpfsClient(api, timeout_s) as client:
        client.version()


def graphql_answers(url: str, timeout_s: float = 2.0) -> None:
    with GraphQLClient(url, timeout_s=timeout_s) as client:
        client.execute("{ __typename }")


def wait_answering(check: Callable[[], None], what: str, deadline: float) -> None:
    last = ""
    while time.monotonic() < deadline:
        try:
            check()
            return
        except ServiceError as exc:
            last = str(exc)
            time.sleep(0.05)
    raise StackError(f"{what} does not answer: {last}")


def start_ipfs(binary: kubo.Kubo, state_dir: Path, deadline: float) -> kubo_node.Daemon:
    """A Kubo daemon on the state directory's repo: the preferred ports when free, else any free port — also when
    another program takes a preferred port between the check and the daemon's bind (one retry, said aloud)."""
    repo = kubo_node.repo_dir(state_dir)
    kubo_node.init_repo(binary, repo)
    api_port = PREFERRED_IPFS_PORT if kubo_node.port_free(PREFERRED_IPFS_PORT) else 0
    gateway_port = PREFERRED_GATEWAY_PORT if kubo_node.port_free(PREFERRED_GATEWAY_PORT) else 0
    try:
        return _run_kubo(binary, state_dir, api_port, gateway_port, deadline)
    except StackError:
        if (api_port, gateway_port) == (0, 0) or not kubo_node.port_taken(kubo_node.read_log(state_dir / "ipfs.log")):
            raise
    kubo.say(f"port {api_port} or {gateway_port} was taken as Kubo started: retrying on any free loopback port")
    return _run_kubo(binary, state_dir, 0, 0, deadline)


def _run_kubo(
    binary: kubo.Kubo, state_dir: Path, api_port: int, gateway_port: int, deadline: float
) -> kubo_node.Daemon:
    repo = kubo_node.repo_dir(state_dir)
    kubo_node.configure(repo, api_port, gateway_port)
    log = state_dir / kubo_node.LOG
    pid = processes.spawn(kubo_node.daemon_argv(binary, repo), log, kubo_node.daemon_env())
    atomic.write_text(state_dir / "ipfs.pid", str(pid))
    return kubo_node.wait_ready(pid, log, deadline, processes.alive)


def start_marketplace(
    state_dir: Path, ipfs_api: str, token: str | None, *, introspection: bool, deadline: float
) -> tuple[int, str]:
    """The marketplace process on the state directory's SQLite file; its mutation token comes through the
    environment, never argv, and no token at all (`--open`) serves mutations to anyone. Its pid and URL."""
    argv = [
        sys.executable,
        "-m",
        "hologram_lib.devstack.server",
        "--db",
        str(state_dir / "marketplace.sqlite"),
        "--ipfs-api",
        ipfs_api,
        "--port",
        str(PREFERRED_GRAPHQL_PORT),
    ]
    if not introspection:
        argv.append("--no-introspection")
    env = {**os.environ, config.MARKETPLACE_TOKEN: token or ""}
    if token is None:
        del env[config.MARKETPLACE_TOKEN]  # no token at all: the marketplace serves mutations to anyone
    log = state_dir / "marketplace.log"
    pid = processes.spawn(argv, log, env)
    atomic.write_text(state_dir / "marketplace.pid", str(pid))
    return pid, announcement(pid, log, "url", deadline)


def seed_demo_object(graphql_url: str, ipfs_api: str, token: str) -> None:
    """Give graphql.resolve_ms something to resolve (the perf suite's GRAPHQL_TEST_NAME default)."""
    with GraphQLClient(graphql_url, token) as graphql, IpfsClient(ipfs_api) as ipfs:
        if graphql.execute("query($n:String!){ resolve(name:$n){ cid } }", {"n": DEMO_OBJECT})["resolve"]:
            return
        content = json.dumps({"name": DEMO_OBJECT, "kind": "object", "body": "hello, hologram"}).encode()
        cid = ipfs.add(content, pin=True)
        graphql.execute(
            "mutation($n:String!,$c:String!){ upsertObject(name:$n,cid:$c){ ok } }", {"n": DEMO_OBJECT, "c": cid}
        )
