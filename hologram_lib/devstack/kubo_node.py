"""The embedded IPFS node: a Kubo daemon on a repo in the stack's state directory, offline and on loopback.

Offline means `daemon --offline` (no swarm, no routing) plus a config that names no peer and fetches nothing:
no swarm addresses, no bootstrap peers, no mDNS, AutoConf off (it would fetch the mainnet's settings at start
even offline) and the "auto" placeholders it fills emptied. `Datastore` and `Import` are left exactly as
`ipfs init` writes them — Kubo's defaults — so `add` answers the CIDs users get from their own Kubo.

Kubo holds its repo lock with an fcntl lock: a daemon killed with SIGKILL leaves the file but no lock, and the next
start takes it. A lock held by a live process that this state directory did not start is reported, never broken.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hologram_lib import atomic
from hologram_lib.devstack.kubo import Kubo
from hologram_lib.errors import StackError

REPO = "ipfs-repo"
LOG = "ipfs.log"
_LISTENING = re.compile(r"^(RPC API|Gateway) server listening on /ip4/([0-9.]+)/tcp/(\d+)$", re.MULTILINE)
_READY = "Daemon is ready"


@dataclass(frozen=True)
class Daemon:
    pid: int
    api: str
    gateway: str


def repo_dir(state_dir: Path) -> Path:
    return state_dir / REPO


def port_free(port: int) -> bool:
    """Can a listener bind 127.0.0.1:`port` now (as Go's does, with SO_REUSEADDR)?"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def init_repo(kubo: Kubo, repo: Path) -> None:
    """`ipfs init --empty-repo` once (Kubo's default profile: its Datastore and Import settings)."""
    if (repo / "config").exists():
        return
    repo.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [str(kubo.path), "--repo-dir", str(repo), "init", "--empty-repo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise StackError(f"ipfs init {repo} failed: {' | '.join((done.stderr or done.stdout).strip().splitlines())}")


def offline_config(config: dict[str, Any], api_port: int, gateway_port: int) -> dict[str, Any]:
    """The repo's config with the network switched off and the API and gateway on loopback at the given ports (0 =
    any free port). Everything else — Datastore, Import, the identity — is kept as it is."""
    addresses = config.setdefault("Addresses", {})
    addresses.update(
        API=f"/ip4/127.0.0.1/tcp/{api_port}",
        Gateway=f"/ip4/127.0.0.1/tcp/{gateway_port}",
        Swarm=[],
        Announce=[],
        AppendAnnounce=[],
    )
    config["Bootstrap"] = []
    config["AutoConf"] = {**(config.get("AutoConf") or {}), "Enabled": False}
    config.setdefault("Routing", {})["DelegatedRouters"] = []
    config.setdefault("Ipns", {})["DelegatedPublishers"] = []
    config.setdefault("DNS", {})["Resolvers"] = {}
    config.setdefault("Discovery", {}).setdefault("MDNS", {})["Enabled"] = False
    return config


def configure(repo: Path, api_port: int, gateway_port: int) -> None:
    path = repo / "config"
    try:
        current = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise StackError(f"{path}: expected Kubo's JSON config ({exc})") from None
    atomic.write_json(path, offline_config(current, api_port, gateway_port))


def daemon_argv(kubo: Kubo, repo: Path) -> list[str]:
    # --repo-dir puts the state directory on the command line: `stack down` stops only processes naming it.
    return [str(kubo.path), "--repo-dir", str(repo), "daemon", "--offline"]


def daemon_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"IPFS_PATH", "IPFS_LOGGING", "GOLOG_LOG_LEVEL"}}
    return {**env, "IPFS_TELEMETRY": "off"}  # Kubo sends none offline; said explicitly all the same


def read_log(log: Path) -> str:
    with contextlib.suppress(OSError):
        return log.read_text(errors="replace")
    return ""


def wait_ready(pid: int, log: Path, deadline: float, alive: Callable[[int], bool]) -> Daemon:
    """Wait for Kubo's "Daemon is ready" and the addresses it listens on; fail fast when it exits first."""
    while time.monotonic() < deadline:
        text = read_log(log)
        if _READY in text.splitlines():
            found = {kind: f"http://{host}:{port}" for kind, host, port in _LISTENING.findall(text)}
            if "RPC API" not in found:
                raise StackError(f"Kubo is ready but did not say where its API listens: {tail(text)}")
            return Daemon(pid, found["RPC API"], found.get("Gateway", ""))
        if not alive(pid):
            raise StackError(exit_reason(log, text))
        time.sleep(0.05)
    raise StackError(f"Kubo did not say ready in time: {tail(read_log(log))}")


def exit_reason(log: Path, text: str) -> str:
    if "someone else has the lock" in text:
        return (
            f"the IPFS repo {log.parent / REPO} is in use by another Kubo process this state directory did not start "
            "(its repo lock is held): stop that process or use another --state-dir"
        )
    return f"Kubo exited before it was ready: {tail(text)}"


def port_taken(text: str) -> bool:
    return "address already in use" in text


def tail(text: str, lines: int = 6) -> str:
    return " | ".join(text.strip().splitlines()[-lines:]) or "(no output)"
