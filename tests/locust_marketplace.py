"""Locust users for the marketplace: publish (IPFS add + publishApp), resolve and search, concurrently.

Run headless by tests/load_marketplace.py (never imported by pytest: Locust monkey-patches the standard library
with gevent). Each user's publishes are recorded and written, at the end, to `--published-log` so that the runner
can check that every published name resolves to its CID. The token is read from `--token-file` (never argv).
"""

from __future__ import annotations

import json
import os
import random
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

RESOLVE = "query($n:String!){ resolve(name:$n){ cid encoding } }"
SEARCH = "query($q:String!){ searchApps(q:$q){ name cid } }"
PUBLISH = "mutation($n:String!,$c:String!){ publishApp(name:$n, cid:$c){ ok cid } }"
RUN_TAG = uuid.uuid4().hex[:6]
PUBLISHED: list[tuple[str, str]] = []


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument("--ipfs-api", default="", help="the IPFS node's RPC URL")
    parser.add_argument("--token-file", default="", help="file holding the marketplace's mutation token")
    parser.add_argument("--published-log", default="", help="write the (name, cid) of every publish here")


@events.test_stop.add_listener
def _write_published(environment: Any, **_: Any) -> None:
    path = environment.parsed_options.published_log
    if path:
        Path(path).write_text(json.dumps(PUBLISHED))


class MarketplaceUser(HttpUser):
    wait_time = between(0.01, 0.05)

    def on_start(self) -> None:
        options = self.environment.parsed_options
        token = Path(options.token_file).read_text().strip() if options.token_file else ""
        self.auth = {"Authorization": f"Bearer {token}"} if token else {}
        self.ipfs_api = options.ipfs_api.rstrip("/")

    def graphql(self, name: str, query: str, variables: dict[str, str], **headers: str) -> dict[str, Any] | None:
        with self.client.post(
            "", json={"query": query, "variables": variables}, headers=headers, name=name, catch_response=True
        ) as response:
            body = response.json() if response.status_code == 200 else {}
            if response.status_code != 200 or body.get("errors") or not body.get("data"):
                response.failure(f"HTTP {response.status_code}: {str(body.get('errors'))[:200]}")
                return None
            response.success()
            data: dict[str, Any] = body["data"]
            return data

    @task(1)
    def publish(self) -> None:
        name = f"load/{RUN_TAG}/{uuid.uuid4().hex[:12]}"
        files = {"file": ("app.bin", os.urandom(4096))}
        with self.client.post(
            f"{self.ipfs_api}/api/v0/add",
            params={"pin": "true", "cid-version": "1"},
            files=files,
            name="ipfs add",
            catch_response=True,
        ) as added:
            if added.status_code != 200:
                added.failure(f"HTTP {added.status_code}")
                return
            cid = json.loads(added.text.splitlines()[-1])["Hash"]
        data = self.graphql("publishApp", PUBLISH, {"n": name, "c": cid}, **self.auth)
        if data and data["publishApp"] == {"ok": True, "cid": cid}:
            PUBLISHED.append((name, cid))

    @task(6)
    def resolve(self) -> None:
        name = random.choice(PUBLISHED)[0] if PUBLISHED else "demo/object/alpha"
        self.graphql("resolve", RESOLVE, {"n": name})

    @task(2)
    def search(self) -> None:
        self.graphql("searchApps", SEARCH, {"q": f"load/{RUN_TAG}"})
