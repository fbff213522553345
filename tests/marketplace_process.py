"""The reference marketplace as its own process (`python -m hologram_lib.devstack.server`), for tests that need a
second one beside the session's stack or one configured differently."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from hologram_lib import config


@contextmanager
def marketplace_process(db: Path, ipfs_api: str, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start it on a free port with none of the product's variables but `env`; yields its URL once it answers."""
    clean = {k: v for k, v in os.environ.items() if k not in config.VARIABLES} | (env or {})
    argv = [sys.executable, "-m", "hologram_lib.devstack.server", "--db", str(db), "--ipfs-api", ipfs_api, *args]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=clean)
    try:
        assert process.stdout is not None
        url = json.loads(process.stdout.readline())["url"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.post(url, json={"query": "{ __typename }"}, timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.communicate(timeout=30)
