"""The marketplace's defences against abusive requests, applied before any resolver runs; this module holds the
HTTP ones (the body limit, the request checks, GraphQL over HTTP status rules), `documents` the parse and
validation, `query_budget` the walk.

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

import json
import logging
import re
from http import HTTPStatus
from typing import Any

from ariadne.asgi.handlers import GraphQLHTTPHandler
from ariadne.exceptions import HttpBadRequestError, HttpError
from ariadne.utils import unwrap_graphql_error
from graphql import GraphQLError, OperationType, get_operation_ast
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hologram_lib.devstack.documents import parse_query

MAX_BODY_BYTES = 1024 * 1024  # storeContent's `data` is the largest legitimate argument (MAX_STORED_TEXT)
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
