"""The reference Hologram marketplace: a GraphQL API (ariadne) over the SQLite catalog and an IPFS node.

On publish it fetches the app's bytes from IPFS by CID and computes the Atlas-12288 encoding descriptor
and proofs, so a client can check the claim against bytes it fetches itself. The contract is
`schema.graphql` beside this file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path
from typing import Any

from ariadne import MutationType, QueryType, load_schema_from_path, make_executable_schema
from ariadne.asgi import GraphQL
from ariadne.explorer import ExplorerHttp405
from graphql import GraphQLError, GraphQLSchema

from hologram_lib import atlas, cid
from hologram_lib.clients import IpfsClient, ServiceError
from hologram_lib.devstack.catalog import AppRecord, Catalog

SCHEMA_PATH = Path(__file__).with_name("schema.graphql")
MAX_NAME = 128
MAX_CONTENT_BYTES = 64 * 1024 * 1024
DEFAULT_VERSION = "1"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/@+-]*")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def check_name(name: str) -> str:
    if not name:
        raise _error("name: expected a non-empty name", "BAD_USER_INPUT")
    if len(name) > MAX_NAME:
        raise _error(f"name: expected at most {MAX_NAME} characters, got {len(name)}", "BAD_USER_INPUT")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise _error("name: control characters are not allowed", "BAD_USER_INPUT")
    if not _NAME.fullmatch(name):
        raise _error(
            "name: expected letters, digits and . _ / @ + - (starting with a letter or digit)", "BAD_USER_INPUT"
        )
    return name


def check_cid(text: str | None, field: str) -> str | None:
    if text is None:
        return None
    try:
        cid.parse(text)
    except ValueError as exc:
        raise _error(f"{field}: not a valid CID ({exc})", "BAD_USER_INPUT") from None
    return text


class Marketplace:
    """Resolvers' state: the catalog, the IPFS client and the mutation token."""

    def __init__(self, catalog: Catalog, ipfs: IpfsClient, token: str | None) -> None:
        self.catalog = catalog
        self.ipfs = ipfs
        self.token = token

    def authorize(self, context: dict[str, Any]) -> None:
        if self.token is None:
            return
        scheme, _, credential = (context.get("authorization") or "").strip().partition(" ")
        # RFC 6750: the scheme is case-insensitive ("bearer" is as good as "Bearer"); the token is not.
        if scheme.lower() != "bearer" or not hmac.compare_digest(credential.strip().encode(), self.token.encode()):
            raise _error("not authorized: mutations need Authorization: Bearer <token>", "UNAUTHENTICATED")

    def fetch(self, content_cid: str) -> bytes:
        try:
            data = self.ipfs.cat(content_cid)
        except ServiceError as exc:
            raise _error(f"cid: the IPFS node cannot provide {content_cid} ({exc})", "NOT_FOUND") from None
        if len(data) > MAX_CONTENT_BYTES:
            raise _error(f"cid: content over {MAX_CONTENT_BYTES} bytes", "BAD_USER_INPUT")
        return data

    def build_record(
        self, name: str, version: str, content_cid: str, manifest_cid: str | None, sha256: str | None
    ) -> AppRecord:
        data = self.fetch(content_cid)
        digest = hashlib.sha256(data).hexdigest()
        if sha256 is not None and sha256.lower() != digest:
            raise _error("sha256: does not match the content fetched from IPFS", "BAD_USER_INPUT")
        state = atlas.encode(data)
        witnesses = atlas.witnesses(state)
        encoding = json.dumps(atlas.descriptor(state), separators=(",", ":"), sort_keys=True)
        return AppRecord(
            name, version, content_cid, manifest_cid, digest, encoding, atlas.merkle_root(witnesses), witnesses
        )

    def publish(
        self, name: str, content_cid: str, manifest_cid: str | None, sha256: str | None, version: str | None
    ) -> AppRecord:
        check_name(name)
        check_cid(content_cid, "cid")
        check_cid(manifest_cid, "manifestCid")
        if sha256 is not None and not _SHA256.fullmatch(sha256.lower()):
            raise _error("sha256: expected 64 hex digits", "BAD_USER_INPUT")
        latest = self.catalog.latest(name)
        wanted = version or (latest.version if latest else DEFAULT_VERSION)
        existing = self.catalog.version(name, wanted)
        if existing is not None:
            if existing.cid == content_cid:
                return existing
            raise _error(
                f"name: {name} version {wanted} is already published with another CID; publish a new version",
                "CONFLICT",
            )
        record = self.build_record(name, wanted, content_cid, manifest_cid, sha256)
        self.catalog.save(record)
        return record

    def upsert(self, name: str, content_cid: str) -> AppRecord:
        check_name(name)
        check_cid(content_cid, "cid")
        record = self.build_record(name, DEFAULT_VERSION, content_cid, None, None)
        self.catalog.save(record, replace=True)
        return record

    def set_install(self, name: str, status: str) -> dict[str, str]:
        check_name(name)
        if self.catalog.latest(name) is None:
            raise _error(f"name: no app named {name} was published", "NOT_FOUND")
        self.catalog.set_install(name, status)
        return {"name": name, "status": status}


def _app(record: AppRecord) -> dict[str, Any]:
    return {
        "ok": True,
        "id": f"{record.name}@{record.version}",
        "name": record.name,
        "version": record.version,
        "cid": record.cid,
        "manifestCid": record.manifest_cid,
        "sha256": record.sha256,
    }


def _resolution(record: AppRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "version": record.version,
        "cid": record.cid,
        "manifestCid": record.manifest_cid,
        "encoding": record.encoding,
        "proofs": {"merkleRoot": record.merkle_root, "witnesses": record.witnesses},
    }


def build_schema(market: Marketplace) -> GraphQLSchema:
    query, mutation = QueryType(), MutationType()

    @query.field("resolve")
    def resolve(_: Any, info: Any, name: str) -> dict[str, Any] | None:
        record = market.catalog.latest(name)
        return None if record is None else _resolution(record)

    @query.field("searchApps")
    def search_apps(_: Any, info: Any, q: str) -> list[dict[str, str]]:
        return [{"name": n, "cid": c} for n, c in market.catalog.search(q)]

    @mutation.field("publishApp")
    def publish_app(
        _: Any,
        info: Any,
        name: str,
        cid: str,
        manifestCid: str | None = None,
        sha256: str | None = None,
        version: str | None = None,
    ) -> dict[str, Any]:
        market.authorize(info.context)
        return _app(market.publish(name, cid, manifestCid, sha256, version))

    @mutation.field("upsertObject")
    def upsert_object(_: Any, info: Any, name: str, cid: str) -> dict[str, Any]:
        market.authorize(info.context)
        return _app(market.upsert(name, cid))

    @mutation.field("installApp")
    def install_app(_: Any, info: Any, name: str) -> dict[str, str]:
        market.authorize(info.context)
        return market.set_install(name, "installed")

    @mutation.field("uninstallApp")
    def uninstall_app(_: Any, info: Any, name: str) -> dict[str, str]:
        market.authorize(info.context)
        return market.set_install(name, "uninstalled")

    return make_executable_schema(load_schema_from_path(str(SCHEMA_PATH)), query, mutation)


def create_app(db_path: Path, ipfs_api: str, token: str | None, *, introspection: bool = True) -> GraphQL:
    """The ASGI app. GET answers 405 (no explorer page, which would load assets from a CDN)."""
    market = Marketplace(Catalog(db_path), IpfsClient(ipfs_api, timeout_s=30.0), token)

    def context(request: Any, _data: Any) -> dict[str, Any]:
        return {"authorization": request.headers.get("authorization")}

    return GraphQL(build_schema(market), context_value=context, introspection=introspection, explorer=ExplorerHttp405())
