"""A request's GraphQL document: parsed with graphql-core's own size limits switched on (the lexer stops early, so
parsing is bounded by the limit, not by the document), then the query budget, then graphql-core's validation with
suggestions hidden when introspection is off (graphql-core's `hide_suggestions`; "Did you mean 'resolve'?" would
leak the schema introspection hides). Short documents seen recently are neither parsed nor validated again."""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Collection
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, parse, validate

from hologram_lib.devstack.query_budget import budget_errors, refusal

MAX_SOURCE_CHARS = 64 * 1024
MAX_TOKENS = 3000  # graphql-core's full introspection query is ≈ 170 tokens; upstream's largest query ≈ 120
# Parsing and validating a 90-character resolve query cost ≈ 2 ms of the ≈ 4 ms it took to answer; clients send
# the same few documents again and again. Documents up to this size are cached (bounded memory: ≤ 256 × 4 KiB of
# source, each within the budget of query_budget).
CACHED_SOURCE_CHARS = 4096
CACHED_DOCUMENTS = 256


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
