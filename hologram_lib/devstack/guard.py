"""The marketplace's defences against abusive requests, applied before any resolver runs.

Measured before these existed: one unauthenticated query of 10,000 `resolve` aliases took 7.2 s and froze every
other client; 10,000 duplicate fields spent 6.5 s in validation (graphql-core's OverlappingFieldsCanBeMerged is
quadratic); a 50 MB body was read whole. So, in order, each cheaper than the next:

1. the body: at most MAX_BODY_BYTES, counted while it arrives (413 before JSON decoding);
2. the parse: graphql-core's own `max_lexical_tokens` / `max_source_length` stop the lexer early, so parsing is
   bounded by the limit, not by the document;
3. the budget: one linear walk over the parsed operation (fragments expanded once each, memoised, so a fragment
   "bomb" costs its definition size to measure) counts fields, aliases and depth, and refuses the document
   *before* graphql-core's validation runs — that keeps validation time bounded by the budget;
4. graphql-core's validation, with suggestions hidden when introspection is off (graphql-core's
   `hide_suggestions`; "Did you mean 'resolve'?" would leak the schema introspection hides).

Ariadne's `cost_validator` was considered: it needs a cost per field and runs inside the same validation pass as
the quadratic rule, so it does not bound validation time — the walk in 3 does, and needs no annotations.
Refusals are GraphQL errors whose `extensions.code` says which limit (QUERY_TOO_LARGE, QUERY_TOO_COMPLEX,
REQUEST_TOO_LARGE, GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_REQUEST).
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, TypeVar

from ariadne.asgi.handlers import GraphQLHTTPHandler
from ariadne.exceptions import HttpBadRequestError, HttpError
from ariadne.utils import unwrap_graphql_error
from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
    parse,
    validate,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1024 * 1024  # storeContent's `data` is the largest legitimate argument (MAX_STORED_TEXT)
MAX_SOURCE_CHARS = 64 * 1024
MAX_TOKENS = 3000  # graphql-core's full introspection query is ≈ 170 tokens; upstream's largest query ≈ 120
MAX_FIELDS = 500  # fields after fragment expansion; the full introspection query selects ≈ 230
MAX_ALIASES = 30
MAX_DEPTH = 20  # the introspection query nests 15 deep (TypeRef's ofType chain)
# One response key repeated k times in a selection set costs OverlappingFieldsCanBeMerged k² comparisons
# (499 × `__typename` took 78 ms); no query of this schema needs a field twice in one place.
MAX_REPEATS = 10
# Parsing and validating a 90-character resolve query cost ≈ 2 ms of the ≈ 4 ms it took to answer; clients send
# the same few documents again and again. Documents up to this size are cached (bounded memory: ≤ 256 × 4 KiB of
# source, each within the budget above).
CACHED_SOURCE_CHARS = 4096
CACHED_DOCUMENTS = 256
GRAPHQL_RESPONSE = "application/graphql-response+json"
LOOPBACK_ORIGIN = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"


class _BugsOnly(logging.Filter):
    """Ariadne logs every GraphQL error with its traceback; a refused client mistake is not a server fault, and
    logging each would let any client fill the disk (one test session wrote 32,000 lines). Keep only errors
    whose cause is not a GraphQLError — bugs."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (isinstance(error, GraphQLError) and isinstance(unwrap_graphql_error(error), GraphQLError | None))


LOGGER = logging.getLogger("hologram.marketplace")
LOGGER.addFilter(_BugsOnly())


def refusal(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def parse_query(_context: Any, data: dict[str, Any]) -> DocumentNode:
    """Ariadne's `query_parser`: graphql-core's parser with its own size limits switched on; a short document
    seen recently is not parsed again (the same object comes back, so its validation is cached too)."""
    query = data["query"]
    if isinstance(query, str) and len(query) <= CACHED_SOURCE_CHARS:
        return _parse_cached(query)
    return _parse(query)


@functools.lru_cache(maxsize=CACHED_DOCUMENTS)
def _parse_cached(query: str) -> DocumentNode:
    return _parse(query)


def _parse(query: Any) -> DocumentNode:
    if isinstance(query, str) and len(query) > MAX_SOURCE_CHARS:
        # Checked here, not only by graphql-core: its error locates itself by scanning the whole source
        # (≈ 7 ms for 64 K characters, twice), which was most of the time to refuse a 10,000-alias document.
        raise refusal(f"query too large: {len(query)} characters, at most {MAX_SOURCE_CHARS}", "QUERY_TOO_LARGE")
    try:
        return parse(query, max_lexical_tokens=MAX_TOKENS, max_comments=MAX_TOKENS, max_source_length=MAX_SOURCE_CHARS)
    except GraphQLError as error:
        if "Parsing aborted" in error.message:  # a limit: where it stopped says nothing useful, do not locate it
            raise refusal(error.message.replace("Syntax Error: ", "query too large: "), "QUERY_TOO_LARGE") from None
        raise GraphQLError(
            error.message, error.nodes, error.source, error.positions, extensions={"code": "GRAPHQL_PARSE_FAILED"}
        ) from None


@dataclass(frozen=True)
class Cost:
    fields: int = 0
    aliases: int = 0
    depth: int = 0

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.fields + other.fields, self.aliases + other.aliases, max(self.depth, other.depth))


class _Repeated(Exception):
    """A response key selected more than MAX_REPEATS times in one selection set."""


_Walked = TypeVar("_Walked")  # what a walk over a selection set yields: its cost, or its response keys


class _Budget:
    """The cost of each operation, fragments expanded once each (memoised; a cycle costs nothing here and is
    reported by graphql-core's NoFragmentCyclesRule)."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.memo: dict[str, Cost] = {}
        self.visiting: set[str] = set()
        self.keys_memo: dict[str, Counter[str]] = {}
        self.visiting_keys: set[str] = set()

    def response_keys(self, selection_set: SelectionSetNode | None) -> Counter[str]:
        """How often each response key is selected in a selection set, inline fragments and named fragments
        flattened: graphql-core's overlap rule compares the fields of every fragment spread there with each other
        (330 fragments of one `__typename` each took 335 ms when only inline fragments were counted)."""
        keys: Counter[str] = Counter()
        spreads: set[str] = set()  # graphql-core compares a fragment spread twice in one place once
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                keys[(selection.alias or selection.name).value] += 1
            elif isinstance(selection, InlineFragmentNode):
                keys += self.response_keys(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                spreads.add(selection.name.value)
        for name in spreads:
            keys += self.fragment_keys(name)
        return keys

    def fragment_keys(self, name: str) -> Counter[str]:
        return self._fragment_once(name, self.keys_memo, self.visiting_keys, self.response_keys, Counter())

    def selections(self, selection_set: SelectionSetNode | None) -> Cost:
        repeated = max(self.response_keys(selection_set).values(), default=0)
        if repeated > MAX_REPEATS:
            raise _Repeated(repeated)
        total = Cost()
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                inner = self.selections(selection.selection_set)
                own = Cost(1, 1 if selection.alias else 0, 0)
                total = total + own + Cost(inner.fields, inner.aliases, inner.depth + 1)
            elif isinstance(selection, InlineFragmentNode):
                total = total + self.selections(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total = total + self.fragment(selection.name.value)
        return total

    def fragment(self, name: str) -> Cost:
        return self._fragment_once(name, self.memo, self.visiting, self.selections, Cost())

    def _fragment_once(
        self,
        name: str,
        memo: dict[str, _Walked],
        visiting: set[str],
        walk: Callable[[SelectionSetNode | None], _Walked],
        empty: _Walked,
    ) -> _Walked:
        """A named fragment walked once however often it is spread; an unknown fragment or a cycle adds nothing
        (graphql-core's validation refuses both afterwards)."""
        if name in memo:
            return memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in visiting:
            return empty
        visiting.add(name)
        value = memo[name] = walk(definition.selection_set)
        visiting.discard(name)
        return value


def budget_errors(document: DocumentNode) -> list[GraphQLError]:
    budget = _Budget(document)
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        try:
            cost = budget.selections(operation.selection_set)
        except RecursionError:
            return [refusal(f"query too complex: nested deeper than {MAX_DEPTH} levels", "QUERY_TOO_COMPLEX")]
        except _Repeated as repeated:
            message = f"query too complex: one field selected {repeated} times in one place, at most {MAX_REPEATS}"
            return [refusal(message, "QUERY_TOO_COMPLEX")]
        for amount, limit, what in (
            (cost.aliases, MAX_ALIASES, "aliases"),
            (cost.fields, MAX_FIELDS, "fields (fragments expanded)"),
            (cost.depth, MAX_DEPTH, "levels of nesting"),
        ):
            if amount > limit:
                return [refusal(f"query too complex: {amount} {what}, at most {limit}", "QUERY_TOO_COMPLEX")]
    return []


def make_validator(*, introspection: bool) -> Any:
    """Ariadne's `query_validator`: the budget first, then graphql-core's validation (only for documents within
    the budget), suggestions hidden when introspection is off."""

    validated: OrderedDict[int, tuple[DocumentNode, list[GraphQLError]]] = OrderedDict()

    def validate_query(
        schema: GraphQLSchema,
        document_ast: DocumentNode,
        rules: Collection[type[ASTValidationRule]] | None = None,
        max_errors: int | None = None,
        **_: Any,
    ) -> list[GraphQLError]:
        # Keyed by the cached parse's object; the entry holds the document, so its id cannot be reused meanwhile.
        hit = validated.get(id(document_ast))
        if hit is not None and hit[0] is document_ast:
            validated.move_to_end(id(document_ast))
            return hit[1]
        errors = _validate(schema, document_ast, rules, max_errors)
        validated[id(document_ast)] = (document_ast, errors)
        if len(validated) > CACHED_DOCUMENTS:
            validated.popitem(last=False)
        return errors

    def _validate(
        schema: GraphQLSchema,
        document_ast: DocumentNode,
        rules: Collection[type[ASTValidationRule]] | None,
        max_errors: int | None,
    ) -> list[GraphQLError]:
        refused = budget_errors(document_ast)
        if refused:
            return refused
        errors = validate(schema, document_ast, rules, max_errors=max_errors or 20, hide_suggestions=not introspection)
        return [
            e
            if e.extensions
            else GraphQLError(
                e.message, e.nodes, e.source, e.positions, e.path, None, {"code": "GRAPHQL_VALIDATION_FAILED"}
            )
            for e in errors
        ]

    return validate_query


def wants_graphql_response(request: Request) -> bool:
    """GraphQL over HTTP: a client that accepts application/graphql-response+json gets it (and its status rules)."""
    accept = request.headers.get("accept", "")
    return GRAPHQL_RESPONSE in accept and not re.search(
        r"application/graphql-response\+json\s*;\s*q=0(\.0*)?\b", accept
    )


class GuardedHTTPHandler(GraphQLHTTPHandler):
    """Ariadne's HTTP handler, answering by GraphQL over HTTP: for `application/json` a request that reached
    GraphQL gets 200 with `errors` (upstream's clients expect that); for `application/graphql-response+json` a
    document that did not parse or validate gets 400. A malformed request body is a JSON error with a code."""

    async def extract_data_from_request(self, request: Request) -> Any:
        """The request's JSON, refused (400, BAD_REQUEST) when nested too deeply for Python's stack, or when its
        variables hold lone UTF-16 surrogates ("\\ud800"): JSON allows them but they are not Unicode text and would
        fail deep inside a resolver, in SQLite or an encoder (the GraphQL lexer already refuses them in documents).
        A multipart body (GraphQL file uploads) is refused too: the schema has no Upload, and ariadne's multipart
        parser needs python-multipart, which is not installed (every multipart request was HTTP 500). Refusing it also
        keeps `stack up --open` safe from web pages: a multipart POST is a CORS "simple request", sent without a
        preflight from any origin."""
        if request.headers.get("content-type", "").lower().startswith("multipart/"):
            raise HttpBadRequestError("request: multipart uploads are not accepted, post application/json")
        try:
            data = await super().extract_data_from_request(request)
            lone_surrogate = isinstance(data, dict) and _has_lone_surrogate(data.get("variables"))
        except RecursionError:  # `[[[[…]]]]` 100,000 deep fits in 1 MiB and exhausts Python's stack (was HTTP 500)
            raise HttpBadRequestError("request: JSON nested too deeply") from None
        if lone_surrogate:
            raise HttpBadRequestError("variables: lone UTF-16 surrogates are not valid Unicode text")
        return data

    async def graphql_http_server(self, request: Request) -> Response:
        try:
            data = await self.extract_data_from_request(request)
        except HttpError as error:
            return self._json(request, {"errors": [_error_dict(error.message or "bad request", "BAD_REQUEST")]}, 400)
        if request.method == "GET" and _selects_mutation(data):
            # GraphQL over HTTP: 405 for a mutation sent by GET (ariadne said "'operationName' is required if
            # 'query' defines multiple operations." for one mutation).
            refused = _error_dict("mutations are not served over GET, send them by POST", "METHOD_NOT_ALLOWED")
            response = self._json(request, {"errors": [refused]}, HTTPStatus.METHOD_NOT_ALLOWED)
            response.headers["Allow"] = "POST"
            return response
        success, result = await self.execute_graphql_query(request, data)
        return await self.create_json_response(request, result, success)

    async def create_json_response(self, request: Request, result: dict[str, Any], success: bool) -> Response:
        _code_every_error(result, success)
        if not wants_graphql_response(request):
            return self._json(request, result, HTTPStatus.OK)
        failed_before_execution = not success and result.get("data") is None
        return self._json(request, result, HTTPStatus.BAD_REQUEST if failed_before_execution else HTTPStatus.OK)

    @staticmethod
    def _json(request: Request, result: dict[str, Any], status: int) -> Response:
        media_type = GRAPHQL_RESPONSE if wants_graphql_response(request) else "application/json"
        return JSONResponse(result, status_code=status, media_type=media_type)


def _code_every_error(result: dict[str, Any], success: bool) -> None:
    """Give each error that ariadne or graphql-core raised without one an `extensions.code`: a batch array, a query
    that is not a string, a bad operationName or variables that are not an object are refused before execution
    (BAD_REQUEST); anything else uncoded is the server's (INTERNAL_SERVER_ERROR). Clients branch on the code."""
    refused = not success and result.get("data") is None
    for error in result.get("errors") or []:
        if isinstance(error, dict) and not (error.get("extensions") or {}).get("code"):
            error.setdefault("extensions", {})
            if isinstance(error["extensions"], dict):
                error["extensions"]["code"] = "BAD_REQUEST" if refused else "INTERNAL_SERVER_ERROR"


def _selects_mutation(data: Any) -> bool:
    """Does this request run a mutation? False when that cannot be told (not parsed, ambiguous): the usual path
    reports those."""
    name = data.get("operationName") if isinstance(data, dict) else None
    try:
        document = parse_query(None, data)
    except (GraphQLError, KeyError, TypeError):
        return False
    operation = get_operation_ast(document, name if isinstance(name, str) else None)
    return operation is not None and operation.operation == OperationType.MUTATION


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False


def _error_dict(message: str, code: str) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code}}


class BodyLimit:
    """ASGI middleware: refuse a request body over `limit` bytes with 413, counted as it arrives (a client can lie
    in Content-Length or send chunks), and a query string over the same limit."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        too_big = len(scope.get("query_string", b"")) > self.limit or (
            declared.isdigit() and int(declared) > self.limit
        )
        body = b""
        more = not too_big
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            too_big = len(body) > self.limit
            if too_big:
                break
        if too_big:
            await self._refuse(send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        error = _error_dict(f"request too large: at most {self.limit} bytes", "REQUEST_TOO_LARGE")
        payload = json.dumps({"errors": [error]}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
