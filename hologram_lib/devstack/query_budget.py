"""The query budget: one linear walk over a parsed operation counts its fields, aliases and depth, and refuses the
document *before* graphql-core's validation runs — that keeps validation time bounded by the budget (see `guard`
for the order of the defences). Fragments are expanded once each, memoised, so a fragment "bomb" costs its
definition size to measure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

MAX_FIELDS = 500  # fields after fragment expansion; the full introspection query selects ≈ 230
MAX_ALIASES = 30
MAX_DEPTH = 20  # the introspection query nests 15 deep (TypeRef's ofType chain)
# One response key repeated k times in a selection set costs OverlappingFieldsCanBeMerged k² comparisons
# (499 × `__typename` took 78 ms); no query of this schema needs a field twice in one place.
MAX_REPEATS = 10


def refusal(message: str, code: str) -> GraphQLError:
    """A refused document: a GraphQL error whose `extensions.code` says which limit."""
    return GraphQLError(message, extensions={"code": code})


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
