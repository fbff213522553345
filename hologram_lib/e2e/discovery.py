"""Find the marketplace's operations and call them, by introspection or, without it, by careful trial.

With introspection, each role (publish, install, resolve, search, uninstall) maps to the first of its known
field names the schema has; arguments and returned fields are built from what the schema declares (so
`manifestCid` / `sha256` are sent only where they exist, `proofs` selected only where it exists).

Without introspection, known shapes are tried in order, and the next one is tried **only** when the server
says the previous one does not fit its schema (an unknown field or argument, a missing required argument, a
wrong selection). Any other error — a business rule, authorization, a server error, a timeout — is the
answer, and the step fails at once: a fallback must never mask a real failure.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from hologram_lib.clients import GraphQLClient
from hologram_lib.errors import GraphQLErrors, NotOffered, ServiceError

ROLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "publish": ("mutation", ("publishApp", "marketplacePublish", "upsertService")),
    "install": ("mutation", ("installApp", "installByCid", "appsInstall")),
    "resolve": ("query", ("resolve",)),
    "search": ("query", ("searchApps",)),
    "uninstall": ("mutation", ("uninstallApp", "appsUninstall")),
}
WANTED_FIELDS = ("ok", "id", "name", "cid", "manifestCid", "status", "encoding")
PROOFS_SELECTION = "proofs { merkleRoot witnesses }"

# Shapes tried without introspection: (arguments, selection), most specific first.
_FALLBACK_ARGS: dict[str, tuple[tuple[str, ...], ...]] = {
    "publish": (("name", "cid", "manifestCid", "sha256"), ("name", "cid")),
    "install": (("name",), ("cid",)),
    "resolve": (("name",),),
    "search": (("q",),),
    "uninstall": (("name",), ("cid",)),
}
_FALLBACK_SELECTIONS: dict[str, tuple[str, ...]] = {
    "publish": ("{ ok name cid manifestCid }", "{ name cid }", "{ ok }", ""),
    "install": ("{ name status }", "{ status }", "{ ok }", ""),
    "resolve": (f"{{ name cid manifestCid encoding {PROOFS_SELECTION} }}", "{ name cid encoding }", "{ cid encoding }"),
    "search": ("{ name cid }", "{ name }"),
    "uninstall": ("{ name status }", "{ status }", "{ ok }", ""),
}
_SCHEMA_MISMATCH = re.compile(
    r"Cannot query field|Unknown argument|Unknown type|argument .* is required|was not provided"
    r"|must have a selection of subfields|must not have a selection|must have a sub selection",
    re.IGNORECASE,
)

INTROSPECTION = """
query HologramIntrospection { __schema { queryType { name } mutationType { name }
  types { name kind fields { name args { name defaultValue type { ...T } } type { ...T } } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
"""


def is_schema_mismatch(error: GraphQLErrors) -> bool:
    """Did the server reject the *shape* of the document (and nothing else)?"""
    return all(
        _SCHEMA_MISMATCH.search(m) or c == "GRAPHQL_VALIDATION_FAILED"
        for m, c in zip(error.messages, error.codes, strict=True)
    )


@dataclass(frozen=True)
class Operation:
    role: str
    kind: str
    field: str
    args: tuple[tuple[str, str | None], ...]  # (name, declared type for a variable; None = inline literal)
    selection: str

    def document(self, values: dict[str, str]) -> tuple[str, dict[str, str]]:
        typed = [(name, kind) for name, kind in self.args if kind is not None]
        header = f"({', '.join(f'${n}: {t}' for n, t in typed)})" if typed else ""
        arguments = ", ".join(f"{n}: ${n}" if t is not None else f"{n}: {json.dumps(values[n])}" for n, t in self.args)
        call = f"{self.field}({arguments})" if arguments else self.field
        return f"{self.kind}{header} {{ {call} {self.selection} }}", {n: values[n] for n, _ in typed}


# What reading a hostile or broken answer raises (`types` a string, `__schema` absent, a field missing): the step fails
# with the reason, never the probe with a traceback.
_MALFORMED = (KeyError, TypeError, AttributeError, IndexError, ValueError, RecursionError)


def _malformed(what: str, exc: Exception) -> ServiceError:
    return ServiceError(f"GraphQL {what} was not the shape GraphQL defines ({type(exc).__name__}: {str(exc)[:80]})")


def _type_name(ref: dict[str, Any]) -> str:
    if ref["kind"] == "NON_NULL":
        return _type_name(ref["ofType"]) + "!"
    if ref["kind"] == "LIST":
        return f"[{_type_name(ref['ofType'])}]"
    return str(ref["name"])


def _named(ref: dict[str, Any]) -> dict[str, Any]:
    while ref.get("ofType"):
        ref = ref["ofType"]
    return ref


class Marketplace:
    """The probe's view of a GraphQL marketplace."""

    def __init__(self, client: GraphQLClient) -> None:
        self.client = client
        self.types: dict[str, dict[str, Any]] | None = None
        self.roots: dict[str, str] = {}
        self.introspected = False

    def introspect(self) -> bool:
        """Load the schema; False when the server refuses introspection (then shapes are tried)."""
        try:
            data = self.client.execute(INTROSPECTION)
        except GraphQLErrors:
            return False
        try:
            schema = data["__schema"]
            types = {t["name"]: t for t in schema["types"] if isinstance(t["name"], str)}
            if not all(isinstance(t, dict) and isinstance(t.get("fields") or [], list) for t in types.values()):
                raise TypeError("a type that is not an object with a list of fields")
            roots = {
                "query": (schema.get("queryType") or {}).get("name", ""),
                "mutation": (schema.get("mutationType") or {}).get("name", ""),
            }
        except _MALFORMED as exc:
            raise _malformed("introspection's answer", exc) from None
        self.types, self.roots = types, roots
        self.introspected = True
        return True

    def operation(self, role: str, values: dict[str, str]) -> Operation:
        """Build the role's operation from the schema (introspection must have succeeded)."""
        assert self.types is not None
        kind, names = ROLES[role]
        fields = {f["name"]: f for f in (self.types.get(self.roots.get(kind, ""), {}).get("fields") or [])}
        for name in names:
            field = fields.get(name)
            if field is None:
                continue
            args = []
            for arg in field["args"]:
                required = arg["type"]["kind"] == "NON_NULL" and arg["defaultValue"] is None
                if arg["name"] in values:
                    args.append((arg["name"], _type_name(arg["type"])))
                elif required:
                    break  # an argument we cannot supply: this field is not the one we want
            else:
                return Operation(role, kind, name, tuple(args), self._selection(_named(field["type"])))
        raise NotOffered(f"the schema has no {' / '.join(names)} that this probe can call")

    def _selection(self, named: dict[str, Any]) -> str:
        target = self.types.get(named["name"], {}) if self.types else {}
        if target.get("kind") != "OBJECT":
            return ""
        fields = {f["name"]: f for f in target.get("fields") or []}
        chosen = [n for n in WANTED_FIELDS if n in fields and _named(fields[n]["type"])["kind"] in ("SCALAR", "ENUM")]
        proofs = fields.get("proofs")
        if proofs is not None:
            types = self.types or {}
            proof_fields = {f["name"] for f in types.get(_named(proofs["type"])["name"], {}).get("fields") or []}
            if {"merkleRoot", "witnesses"} <= proof_fields:
                chosen.append(PROOFS_SELECTION)
        return "{ " + " ".join(chosen or ["__typename"]) + " }"

    def call(self, role: str, values: dict[str, str]) -> tuple[str, Any]:
        """Run the role's operation; (field name, its result). NotOffered when the server has none."""
        try:
            if self.introspected:
                operation = self.operation(role, values)
                query, variables = operation.document(values)
                return operation.field, self.client.execute(query, variables)[operation.field]
            return self._try_shapes(role, values)
        except _MALFORMED as exc:
            raise _malformed(f"{role}'s schema or answer", exc) from None

    def _try_shapes(self, role: str, values: dict[str, str]) -> tuple[str, Any]:
        kind, names = ROLES[role]
        for name in names:
            for arg_names in _FALLBACK_ARGS[role]:
                if any(a not in values for a in arg_names):
                    continue
                for selection in _FALLBACK_SELECTIONS[role]:
                    operation = Operation(role, kind, name, tuple((a, None) for a in arg_names), selection)
                    query, variables = operation.document(values)
                    try:
                        return name, self.client.execute(query, variables)[name]
                    except GraphQLErrors as exc:
                        if not is_schema_mismatch(exc):
                            raise
        raise NotOffered(f"none of {' / '.join(names)} fits this server's schema")
