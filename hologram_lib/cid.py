"""Content identifiers: parse and validate CIDv0 / CIDv1 strings (base58btc and base32 multibase).

Enough of the multiformats specs to reject a malformed CID before asking a node for it.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}
SHA2_256 = 0x12
DAG_PB = 0x70
RAW = 0x55


@dataclass(frozen=True)
class Cid:
    version: int
    codec: int
    hash_code: int
    digest: bytes


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        if char not in _B58_INDEX:
            raise ValueError(f"not base58btc: {char!r}")
        number = number * 58 + _B58_INDEX[char]
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\x00" * (len(text) - len(text.lstrip("1"))) + body


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    for index in range(offset, min(len(data), offset + 9)):
        byte = data[index]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, index + 1
        shift += 7
    raise ValueError("truncated varint")


def _multihash(data: bytes, offset: int) -> tuple[int, bytes]:
    code, offset = _varint(data, offset)
    length, offset = _varint(data, offset)
    digest = data[offset:]
    if length != len(digest) or length == 0:
        raise ValueError("multihash length does not match its digest")
    return code, digest


def parse(text: str) -> Cid:
    """Parse a CID string; ValueError names what is wrong."""
    if not isinstance(text, str) or not text or len(text) > 200:
        raise ValueError("expected a CID string")
    if len(text) == 46 and text.startswith("Qm"):
        raw = b58decode(text)
        code, digest = _multihash(raw, 0)
        if code != SHA2_256 or len(digest) != 32:
            raise ValueError("CIDv0 must be a sha2-256 multihash")
        return Cid(0, DAG_PB, code, digest)
    prefix, body = text[0], text[1:]
    if prefix == "b":
        if body != body.lower():
            raise ValueError("base32 CIDs are lower case")
        try:
            raw = base64.b32decode(body.upper() + "=" * (-len(body) % 8))
        except ValueError:
            raise ValueError("not base32") from None
    elif prefix == "z":
        raw = b58decode(body)
    else:
        raise ValueError(f"unsupported multibase prefix {prefix!r}")
    version, offset = _varint(raw, 0)
    if version != 1:
        raise ValueError(f"unsupported CID version {version}")
    codec, offset = _varint(raw, offset)
    code, digest = _multihash(raw, offset)
    return Cid(1, codec, code, digest)


CHUNK_BYTES = 256 * 1024


def raw_leaf_cid(data: bytes) -> str:
    """The CIDv1 a Kubo node gives `data` (`add --cid-version=1`) when it fits in one 256 KiB chunk.

    A single-chunk file with raw leaves is one raw block: the CID is its sha2-256, no UnixFS wrapper.
    """
    if len(data) > CHUNK_BYTES:
        raise ValueError(f"a local CID is computed only for content up to {CHUNK_BYTES} bytes")
    digest = hashlib.sha256(data).digest()
    body = bytes([1, RAW, SHA2_256, len(digest)]) + digest
    return "b" + base64.b32encode(body).decode().lower().rstrip("=")
