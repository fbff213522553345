"""Upstream HologramFire's content API (its `core/src/graphql/schema.ts`), served from the same Atlas-12288 proofs.

Upstream's strict E2E tests (`test_e2e_strict_fixed.py`, `test_e2e_strict_graphql_only.py`) store a text under a
name and read it back with a witness and metadata. Upstream defines no reference values for its
"conservation" and "R96" fields, so each is derived here from the Atlas-12288 state of the text's UTF-8 bytes,
as the SDL documents: a client can recompute every one of them with `hologram_lib.atlas`.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
from graphql import GraphQLError

from hologram_lib import atlas
from hologram_lib.clock import utc_stamp
from hologram_lib.devstack.catalog import Catalog, ContentRecord

MAX_STORED_TEXT = 512 * 1024  # bytes of UTF-8; the request body limit is twice that
MAX_MIME = 127
MAX_SEARCH_LIMIT = 100
R96 = 96


def _error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def check_text(data: str) -> bytes:
    raw = data.encode("utf-8", errors="strict")
    if len(raw) > MAX_STORED_TEXT:
        raise _error(f"data: expected at most {MAX_STORED_TEXT} bytes of UTF-8, got {len(raw)}", "BAD_USER_INPUT")
    if "\x00" in data:
        raise _error("data: NUL characters are not allowed", "BAD_USER_INPUT")
    return raw


def check_mime(mime_type: str | None) -> str | None:
    if mime_type is None:
        return None
    if (
        not 0 < len(mime_type) <= MAX_MIME
        or any(ord(c) <= 32 or ord(c) >= 127 for c in mime_type)
        or "/" not in mime_type
    ):
        raise _error("mimeType: expected a media type such as text/plain", "BAD_USER_INPUT")
    return mime_type


def encoding_of(state: atlas.AtlasState, root: str) -> str:
    """The encoding descriptor the marketplace publishes, with the Merkle root so that it names one content
    (inverseResolve maps it back)."""
    return json.dumps({**atlas.descriptor(state), "merkleRoot": root}, separators=(",", ":"), sort_keys=True)


def canonical_encoding(text: str) -> str:
    """`text` re-serialised as the canonical descriptor (sorted keys, compact), or unchanged if it is not JSON."""
    try:
        return json.dumps(json.loads(text), separators=(",", ":"), sort_keys=True)
    except (ValueError, RecursionError):  # not JSON, or `[[[…` nested past Python's stack: no descriptor
        return text


@dataclass
class ResolutionCounters:
    """Upstream's resolutionStats: how many resolveContent calls, how long they took, how many failed a check."""

    resolutions: int = 0
    total_ms: float = 0.0
    violations: int = 0
    checked: int = 0


def _view(record: ContentRecord, counters: ResolutionCounters) -> dict[str, Any]:
    started = time.perf_counter()
    raw = record.data.encode("utf-8")
    state = atlas.encode(raw)
    witnesses = atlas.witnesses(state)
    root = atlas.merkle_root(witnesses)
    # Per grid: do all 48 page (row) sums and all 256 cycle (column) sums vanish mod 256?
    pages_per_grid = ~np.add.reduce(state.grids, axis=2, dtype=np.uint8).any(axis=1)
    cycles_per_grid = ~np.add.reduce(state.grids, axis=1, dtype=np.uint8).any(axis=1)
    pages_ok, cycles_ok = bool(pages_per_grid.all()), bool(cycles_per_grid.all())
    round_trip = atlas.verify(state) and atlas.decode(state) == raw
    counters.checked += 1
    counters.violations += 0 if (pages_ok and cycles_ok and round_trip) else 1
    byte_class = sum(raw) % R96
    verified = utc_stamp("milliseconds")
    view = {
        "id": record.id,
        "name": record.name,
        "encoding": encoding_of(state, root),
        "data": record.data,
        "witness": {
            "id": f"witness:{root}",
            "proof": root,
            "verificationTime": verified,
            "isValid": pages_ok and cycles_ok and round_trip,
            "conservationProof": {
                "pageConservation": pages_ok,
                "cycleConservation": cycles_ok,
                "kleinProbes": (pages_per_grid & cycles_per_grid).tolist(),
                "r96Classification": {
                    "inputClass": byte_class,
                    "outputClass": int(state.grids.sum(dtype=np.uint64)) % R96,
                    "compressionRatio": len(raw) / (state.grid_count * atlas.GRID_BYTES),
                    "isValid": round_trip,
                },
            },
        },
        "metadata": {
            "createdAt": record.created_at,
            "updatedAt": record.updated_at,
            "size": len(raw),
            "mimeType": record.mime_type,
            "checksum": hashlib.sha256(raw).hexdigest(),
            "atlas12288": {
                "page": int(root[:8], 16) % atlas.PAGES,
                "cycle": int(root[8:16], 16) % atlas.CYCLES,
                "r96Class": byte_class,
                "kleinWindow": int(root[16:24], 16) % (atlas.PAGES * 4),
                "conservationHash": root,
            },
        },
    }
    counters.total_ms += (time.perf_counter() - started) * 1000
    return view


class ContentApi:
    """Resolvers of upstream's content API over the catalog's `contents` table."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.counters = ResolutionCounters()

    def store(self, name: str, data: str, mime_type: str | None) -> dict[str, Any]:
        check_text(data)
        record = self.catalog.store_content(f"content-{uuid.uuid4().hex}", name, data, check_mime(mime_type))
        return _view(record, self.counters)

    def update(self, content_id: str, data: str) -> dict[str, Any]:
        check_text(data)
        record = self.catalog.update_content(content_id[:200], data)
        if record is None:
            raise _error(f"id: no content with id {content_id[:80]!r}", "NOT_FOUND")
        return _view(record, self.counters)

    def delete(self, content_id: str) -> bool:
        return self.catalog.delete_content(content_id[:200])

    def resolve(self, name: str) -> dict[str, Any] | None:
        record = self.catalog.content_by("name", name)
        if record is None:
            return None
        self.counters.resolutions += 1
        return _view(record, self.counters)

    def search(self, mime_type: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
        if not 0 <= limit <= MAX_SEARCH_LIMIT:
            raise _error(f"limit: expected 0 to {MAX_SEARCH_LIMIT}, got {limit}", "BAD_USER_INPUT")
        if not 0 <= offset <= 1_000_000:
            raise _error("offset: expected 0 to 1000000", "BAD_USER_INPUT")
        return [_view(r, self.counters) for r in self.catalog.contents(check_mime(mime_type), limit, offset)]

    def stats(self) -> dict[str, Any]:
        counters = self.counters
        return {
            "totalContent": self.catalog.content_count(),
            "totalResolutions": counters.resolutions,
            "averageResolutionTime": counters.total_ms / counters.checked if counters.checked else 0.0,
            "conservationViolations": counters.violations,
            "bijectionIntegrity": 1.0 - counters.violations / counters.checked if counters.checked else 1.0,
        }
