"""Small real GraphQL servers over HTTP (graphql-core), for faults the reference marketplace never shows.

`graphql_server(sdl, root)` serves a schema on a free loopback port; the root object's methods resolve the
top-level fields (graphql-core's default resolver). Validation errors answer HTTP 400, execution errors 200.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from graphql import GraphQLError, build_schema, execute, parse, specified_rules, validate
from graphql.validation import NoSchemaIntrospectionCustomRule

RESOLVE_SDL = """
type Proofs { merkleRoot: String! witnesses: [String!]! }
type Resolution { name: String! cid: String! encoding: String! proofs: Proofs }
type Query { resolve(name: String!): Resolution }
"""


class ResolveOnly:
    """Root for RESOLVE_SDL: resolve(name) over a fixed dict of encodings."""

    def __init__(self, objects: dict[str, str]) -> None:
        self.objects = objects

    def resolve(self, _info: object, name: str) -> dict[str, str] | None:
        if name not in self.objects:
            raise LookupError(f"no object named {name}")
        return {"name": name, "cid": "bafkreitest", "encoding": self.objects[name]}


def _answer(schema, rules, root, body: dict, context: dict) -> tuple[int, dict]:
    try:
        document = parse(body["query"])
    except GraphQLError as exc:
        return 400, {"errors": [exc.formatted]}
    errors = validate(schema, document, rules)
    if errors:
        return 400, {"errors": [e.formatted for e in errors]}
    result = execute(schema, document, root_value=root, variable_values=body.get("variables"), context_value=context)
    payload = {"data": result.data}
    if result.errors:
        payload["errors"] = [e.formatted for e in result.errors]
    return 200, payload


@contextmanager
def graphql_server(sdl: str, root: object, introspection: bool = True) -> Iterator[str]:
    """Serve `sdl` resolved by `root` on a free loopback port; yields the endpoint URL."""
    schema = build_schema(sdl)
    rules = list(specified_rules) + ([] if introspection else [NoSchemaIntrospectionCustomRule])

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            context = {"authorization": self.headers.get("Authorization")}
            status, payload = _answer(schema, rules, root, body, context)
            data = json.dumps(payload).encode()
            self.send_response(status)
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
        yield f"http://127.0.0.1:{server.server_address[1]}/graphql"
    finally:
        server.shutdown()
        server.server_close()
