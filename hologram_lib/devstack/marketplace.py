"""The reference Hologram marketplace: a GraphQL API (ariadne) over the SQLite catalog and an IPFS node.

On publish it fetches the app's bytes from IPFS by CID and computes the Atlas-12288 encoding descriptor
and proofs, so a client can check the claim against bytes it fetches itself. The contract is
`schema.graphql` beside this file.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from ariadne import MutationType, QueryType, load_schema_from_path, make_executable_schema
from ariadne.asgi import GraphQL
from ariadne.explorer import ExplorerHttp405
from graphql import GraphQLError, GraphQLSchema
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from hologram_lib import atlas, cid
from hologram_lib.clients import IpfsClient
from hologram_lib.devstack import documents, guard, unixfs
from hologram_lib.devstack.catalog import AppRecord, Catalog
from hologram_lib.devstack.content_api import ContentApi, canonical_encoding, encoding_of
from hologram_lib.errors import ServiceError

SCHEMA_PATH = Path(__file__).with_name("schema.graphql")
MAX_NAME = 128
MAX_VERSION = 64
MAX_QUERY_TEXT = 256
MAX_ENCODING_TEXT = 1024
DEFAULT_VERSION = "1"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/@+-]*")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
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
    # One canonical spelling per name: `demo//app/x`, `demo/./app/x`, `demo/app/x/`, `demo/app/x.` and `Demo/App/X`
    # would each be a second app that looks like the first one.
    if any(segment in ("", ".", "..") for segment in name.split("/")) or name.endswith("."):
        raise _error("name: expected segments between single slashes, none empty, '.' or '..', no trailing '.'",
                     "BAD_USER_INPUT")  # fmt: skip
    if name != name.lower():
        raise _error("name: expected lower case (one spelling per name)", "BAD_USER_INPUT")
    return name


def check_version(version: str | None) -> str | None:
    if version is None:
        return None
    if not 0 < len(version) <= MAX_VERSION or not _VERSION.fullmatch(version):
        raise _error(
            f"version: expected 1 to {MAX_VERSION} letters, digits and . _ + - (starting with a letter or digit)",
            "BAD_USER_INPUT",
        )
    return version


def check_search_text(text: str) -> str:
    if len(text) > MAX_QUERY_TEXT:
        raise _error(f"q: expected at most {MAX_QUERY_TEXT} characters, got {len(text)}", "BAD_USER_INPUT")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise _error("q: control characters (such as NUL) are not allowed", "BAD_USER_INPUT")
    return text


def bearer_credential(header: str | None) -> str:
    """The token of an Authorization header, sent as `Bearer <token>` (RFC 6750: the scheme is case-insensitive)
    or bare, as upstream HologramFire's tests send GRAPHQL_TOKEN verbatim."""
    value = (header or "").strip()
    scheme, _, rest = value.partition(" ")
    return rest.strip() if scheme.lower() == "bearer" else value


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
        credential = bearer_credential(context.get("authorization"))
        if not hmac.compare_digest(credential.encode(), self.token.encode()):
            raise _error("not authorized: mutations need Authorization: Bearer <token>", "UNAUTHENTICATED")

    def fetch(self, content_cid: str, field: str = "cid") -> bytes:
        """The bytes under a CID; a UnixFS directory (what Kubo's add of a path returns last) as its archive."""
        try:
            return unixfs.content_bytes(self.ipfs, content_cid)
        except unixfs.TooLarge as exc:
            raise _error(f"{field}: {exc}", "BAD_USER_INPUT") from None
        except ServiceError as exc:
            raise _error(f"{field}: the IPFS node cannot provide {content_cid} ({exc})", "NOT_FOUND") from None

    def check_manifest_digest(self, manifest_cid: str, sha256: str, content_cid: str, digest: str) -> None:
        """Upstream passes the *manifest's* sha256 with the content CID: accept it when it is the digest of the
        manifest's bytes and the manifest, where it says so, names this content (cid, sha256)."""
        manifest = self.fetch(manifest_cid, "manifestCid")
        if hashlib.sha256(manifest).hexdigest() != sha256:
            raise _error("sha256: matches neither the content nor the manifest fetched from IPFS", "BAD_USER_INPUT")
        try:
            declared = json.loads(manifest)
        except (ValueError, RecursionError):  # not JSON (or nested past Python's stack): nothing more to check
            return
        if not isinstance(declared, dict):
            return
        if declared.get("cid") not in (None, content_cid):
            raise _error("manifestCid: the manifest names another content CID", "BAD_USER_INPUT")
        if declared.get("sha256") not in (None, digest):
            raise _error("manifestCid: the manifest's sha256 does not match the content", "BAD_USER_INPUT")

    def build_record(
        self, name: str, version: str, content_cid: str, manifest_cid: str | None, sha256: str | None
    ) -> AppRecord:
        data = self.fetch(content_cid)
        digest = hashlib.sha256(data).hexdigest()
        if sha256 is not None and sha256.lower() != digest:
            if manifest_cid is None:
                raise _error("sha256: does not match the content fetched from IPFS", "BAD_USER_INPUT")
            self.check_manifest_digest(manifest_cid, sha256.lower(), content_cid, digest)
        state = atlas.encode(data)
        witnesses = atlas.witnesses(state)
        root = atlas.merkle_root(witnesses)
        return AppRecord(name, version, content_cid, manifest_cid, digest, encoding_of(state, root), root, witnesses)

    def publish(
        self, name: str, content_cid: str, manifest_cid: str | None, sha256: str | None, version: str | None
    ) -> AppRecord:
        check_name(name)
        check_version(version)
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
        try:
            self.catalog.save(record)
        except sqlite3.IntegrityError:  # a concurrent publish of the same name and version won the race
            return self.publish(name, content_cid, manifest_cid, sha256, wanted)
        return record

    def upsert(self, name: str, content_cid: str | None, content: str | None) -> AppRecord:
        """Point `name` at a CID, or at `content` (a text added to IPFS here, as upstream seeds its objects)."""
        check_name(name)
        if (content_cid is None) == (content is None):
            raise _error("upsertObject: give exactly one of cid and content", "BAD_USER_INPUT")
        if content is not None:
            raw = content.encode("utf-8")
            if len(raw) > guard.MAX_BODY_BYTES:
                raise _error(f"content: expected at most {guard.MAX_BODY_BYTES} bytes", "BAD_USER_INPUT")
            try:
                content_cid = self.ipfs.add(raw, pin=True)
            except ServiceError as exc:
                raise _error(f"content: the IPFS node refused it ({exc})", "NOT_FOUND") from None
        assert content_cid is not None
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
        "proofChain": lambda *_: _proof_chain(record),
    }


def _proof_chain(record: AppRecord) -> list[dict[str, Any]]:
    """Upstream's `proofChain { layer hash valid }`, from the same proofs: each grid's witness, then the Merkle
    root; `valid` says whether the root recomputed from the stored witnesses still equals the stored root."""
    intact = bool(record.witnesses) and atlas.merkle_root(record.witnesses) == record.merkle_root
    chain = [{"layer": f"witness/{i}", "hash": h, "valid": intact} for i, h in enumerate(record.witnesses)]
    return [*chain, {"layer": "merkleRoot", "hash": record.merkle_root, "valid": intact}]


def build_schema(market: Marketplace, contents: ContentApi) -> GraphQLSchema:
    query, mutation = QueryType(), MutationType()

    @query.field("resolve")
    def resolve(_: Any, info: Any, name: str) -> dict[str, Any] | None:
        record = market.catalog.latest(name[: MAX_NAME + 1])
        return None if record is None else _resolution(record)

    @query.field("inverseResolve")
    def inverse_resolve(_: Any, info: Any, encoding: str) -> dict[str, Any] | None:
        if len(encoding) > MAX_ENCODING_TEXT:
            raise _error(f"encoding: expected at most {MAX_ENCODING_TEXT} characters", "BAD_USER_INPUT")
        record = market.catalog.by_encoding(canonical_encoding(encoding))
        return None if record is None else _resolution(record)

    @query.field("verifyProof")
    def verify_proof(_: Any, info: Any, name: str, tamperedHash: str) -> dict[str, bool] | None:  # upstream's name
        record = market.catalog.latest(name[: MAX_NAME + 1])
        if record is None:
            return None
        return {"valid": any(step["valid"] and step["hash"] == tamperedHash for step in _proof_chain(record))}

    @query.field("searchApps")
    def search_apps(_: Any, info: Any, q: str) -> list[dict[str, str]]:
        return [{"name": n, "cid": c} for n, c in market.catalog.search(check_search_text(q))]

    @mutation.field("publishApp")
    async def publish_app(_: Any, info: Any, name: str, cid: str, **optional: str | None) -> dict[str, Any]:
        market.authorize(info.context)
        # Fetching from IPFS and encoding take milliseconds to seconds: off the event loop, so queries stay fast.
        record = await asyncio.to_thread(
            market.publish, name, cid, optional.get("manifestCid"), optional.get("sha256"), optional.get("version")
        )
        return _app(record)

    @mutation.field("upsertObject")
    async def upsert_object(
        _: Any, info: Any, name: str, cid: str | None = None, content: str | None = None
    ) -> dict[str, Any]:
        market.authorize(info.context)
        return _app(await asyncio.to_thread(market.upsert, name, cid, content))

    @mutation.field("installApp")
    def install_app(_: Any, info: Any, name: str) -> dict[str, str]:
        market.authorize(info.context)
        return market.set_install(name, "installed")

    @mutation.field("uninstallApp")
    def uninstall_app(_: Any, info: Any, name: str) -> dict[str, str]:
        market.authorize(info.context)
        return market.set_install(name, "uninstalled")

    _content_fields(query, mutation, market, contents)
    return make_executable_schema(load_schema_from_path(str(SCHEMA_PATH)), query, mutation)


def _content_fields(query: QueryType, mutation: MutationType, market: Marketplace, contents: ContentApi) -> None:
    """Upstream's content API (see content_api); its mutations need the same token as the native ones."""

    @query.field("resolveContent")
    def resolve_content(_: Any, info: Any, name: str) -> dict[str, Any] | None:
        return contents.resolve(check_name(name))

    @query.field("searchContent")
    def search_content(
        _: Any, info: Any, mimeType: str | None = None, limit: int = 10, offset: int = 0
    ) -> list[dict[str, Any]]:
        return contents.search(mimeType, limit, offset)

    @query.field("resolutionStats")
    def resolution_stats(_: Any, info: Any) -> dict[str, Any]:
        return contents.stats()

    @mutation.field("storeContent")
    async def store_content(_: Any, info: Any, name: str, data: str, mimeType: str | None = None) -> dict[str, Any]:
        market.authorize(info.context)
        return await asyncio.to_thread(contents.store, check_name(name), data, mimeType)

    @mutation.field("updateContent")
    async def update_content(_: Any, info: Any, id: str, data: str) -> dict[str, Any]:
        market.authorize(info.context)
        return await asyncio.to_thread(contents.update, id, data)

    @mutation.field("deleteContent")
    def delete_content(_: Any, info: Any, id: str) -> bool:
        market.authorize(info.context)
        return contents.delete(id)


def create_app(db_path: Path, ipfs_api: str, token: str | None, *, introspection: bool = True) -> ASGIApp:
    """The ASGI app: the guarded GraphQL endpoint (POST, and GET for queries; no explorer page, which would load
    assets from a CDN), CORS for pages served from loopback, and the request body limit outermost."""
    catalog = Catalog(db_path)
    market = Marketplace(catalog, IpfsClient(ipfs_api, timeout_s=30.0), token)

    def context(request: Any, _data: Any) -> dict[str, Any]:
        return {"authorization": request.headers.get("authorization")}

    graphql = GraphQL(
        build_schema(market, ContentApi(catalog)),
        context_value=context,
        introspection=introspection,
        explorer=ExplorerHttp405(),
        execute_get_queries=True,
        query_parser=documents.parse_query,
        query_validator=documents.make_validator(introspection=introspection),
        http_handler=guard.GuardedHTTPHandler(),
        logger=guard.LOGGER,
    )
    cors = CORSMiddleware(
        graphql,
        allow_origin_regex=guard.LOOPBACK_ORIGIN,
        allow_methods=["GET", "POST"],
        allow_headers=["authorization", "content-type", "accept"],
        max_age=600,
    )
    return guard.BodyLimit(cors)
