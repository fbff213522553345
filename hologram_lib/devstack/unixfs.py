"""The bytes an app CID stands for: a file's content, or for a UnixFS directory the bytes of its files.

Upstream's load test publishes what Kubo's `add` of a path containing `/` returns last: the CID of a directory
wrapping the one file (and declares that file's sha256 in its manifest). `cat` refuses a directory, so the
directory is walked with `ls` (Kubo RPC): a directory holding exactly one file stands for that file's bytes;
several files are laid out in path order as `path NUL size NUL bytes` — deterministic, so the encoding and proofs
are reproducible by any client that lists and reads the same directory.
"""

from __future__ import annotations

from typing import Any

from hologram_lib.clients import IpfsClient
from hologram_lib.errors import ServiceError

MAX_CONTENT_BYTES = 64 * 1024 * 1024
MAX_DIRECTORY_ENTRIES = 10_000
_DIRECTORY = 1  # the Type of a directory link in Kubo's `ls` answer (unixfs Data.Type Directory)


class TooLarge(ValueError):
    """The content, or the directory's files together, exceed MAX_CONTENT_BYTES or MAX_DIRECTORY_ENTRIES."""


def content_bytes(ipfs: IpfsClient, cid: str) -> bytes:
    try:
        data = ipfs.cat(cid)
    except ServiceError as exc:
        if "is a directory" not in str(exc):
            raise
        return _archive(ipfs, cid)
    if len(data) > MAX_CONTENT_BYTES:
        raise TooLarge(f"content over {MAX_CONTENT_BYTES} bytes")
    return data


def _links(ipfs: IpfsClient, cid: str) -> list[dict[str, Any]]:
    response = ipfs.session.post(f"{ipfs.api}/api/v0/ls", params={"arg": cid}, timeout=ipfs.timeout_s)
    if response.status_code != 200:
        raise ServiceError(f"IPFS ls answered HTTP {response.status_code}")
    objects = response.json().get("Objects") or [{}]
    return list(objects[0].get("Links") or [])


def _archive(ipfs: IpfsClient, root: str) -> bytes:
    files: list[tuple[str, str]] = []
    pending = [("", root)]
    while pending:
        prefix, cid = pending.pop()
        for link in _links(ipfs, cid):
            path = f"{prefix}{link.get('Name', '')}"
            if link.get("Type") == _DIRECTORY:
                pending.append((path + "/", str(link["Hash"])))
            else:
                files.append((path, str(link["Hash"])))
            if len(files) + len(pending) > MAX_DIRECTORY_ENTRIES:
                raise TooLarge(f"directory with more than {MAX_DIRECTORY_ENTRIES} entries")
    if len(files) == 1:
        return content_bytes(ipfs, files[0][1])
    parts: list[bytes] = []
    total = 0
    for path, cid in sorted(files):
        data = ipfs.cat(cid)
        total += len(data)
        if total > MAX_CONTENT_BYTES:
            raise TooLarge(f"directory's files over {MAX_CONTENT_BYTES} bytes together")
        parts.append(path.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return b"".join(parts)
