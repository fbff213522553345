"""A small real GraphQL server over HTTP (graphql-core), for the perf suite's tests.

The embedded marketplace stack replaces it where a full marketplace is needed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from graphql import build_schema, graphql_sync

SDL = """
type Proofs { merkleRoot: String! witnesses: [String!]! }
type Resolution { name: String! cid: String! encoding: String! proofs: Proofs }
type Query { resolve(name: String!): Resolution }
"""


class _Root:
    def __init__(self, objects: dict[str, str]) -> None:
        self.objects = objects

    def resolve(self, _info: object, name: str) -> dict[str, str] | None:
        if name not in self.objects:
            raise LookupError(f"no object named {name}")
        return {"name": name, "cid": "bafkreitest", "encoding": self.objects[name]}


@contextmanager
def graphql_server(objects: dict[str, str], token: str | None = None) -> Iterator[str]:
    """Serve `resolve(name)` over the given objects on a free loopback port; yields the endpoint URL."""
    schema = build_schema(SDL)
    root = _Root(objects)
    seen_auth: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            seen_auth.append(self.headers.get("Authorization"))
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            result = graphql_sync(schema, body["query"], root_value=root, variable_values=body.get("variables"))
            payload = {"data": result.data}
            if result.errors:
                payload["errors"] = [{"message": e.message} for e in result.errors]
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        server.seen_auth = seen_auth  # type: ignore[attr-defined]
        yield f"http://127.0.0.1:{server.server_address[1]}/graphql"
    finally:
        server.shutdown()
        server.server_close()
