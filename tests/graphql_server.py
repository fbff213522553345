"""Small real GraphQL servers over HTTP (graphql-core), for faults the reference marketplace never shows.

`graphql_server(sdl, root)` serves a schema on a free loopback port; the root object's methods resolve the
top-level fields (graphql-core's default resolver). Validation errors answer HTTP 400, execution errors 200.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from graphql import GraphQLError, build_schema, execute, parse, specified_rules, validate
from graphql.validation import NoSchemaIntrospectionCustomRule

from tests.http_server import serving

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

    def answer(_path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        context = {"authorization": headers.get("Authorization")}
        status, payload = _answer(schema, rules, root, json.loads(body), context)
        return status, json.dumps(payload).encode()

    with serving(answer) as url:
        yield f"{url}/graphql"
