"""Reference Atlas-12288 codec: the default measured target and the marketplace's proof builder.

Contract: a grid is 48 pages x 256 cycles of bytes (12,288 cells) and is valid exactly when every row sum
and every column sum is 0 mod 256. The last cell of each of the first 47 rows is that row's parity; the last
row is the column parity, so a grid carries 47 x 255 = 11,985 data bytes. Flipping any single bit changes
one byte by +-2^k (never 0 mod 256), so its row sum breaks: every single-bit flip is detected.

Length header (the upstream left it undefined): a payload of L bytes fills ceil(L / 11,985) grids (at least
one) in row-major order, zero-padded; L travels beside the grids in the state, and `verify` requires the
grid count to match L and the padding to be zero. On the wire (`to_bytes`) a state is
b"ATL1" + L as 8 bytes little-endian + the grids' bytes.

Witnesses are the SHA-256 of each grid's 12,288 bytes; the Merkle root hashes pairs of nodes level by
level (an odd node is carried up unchanged), with 0x00 / 0x01 domain prefixes for leaves / inner nodes.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

PAGES = 48
CYCLES = 256
GRID_BYTES = PAGES * CYCLES
DATA_ROWS = PAGES - 1
DATA_COLS = CYCLES - 1
GRID_CAPACITY = DATA_ROWS * DATA_COLS
WIRE_MAGIC = b"ATL1"
_WIRE_HEADER = len(WIRE_MAGIC) + 8


@dataclass(frozen=True, eq=False)
class AtlasState:
    """An encoded payload: `length` data bytes spread over `grids` (shape (g, 48, 256), uint8)."""

    length: int
    grids: np.ndarray

    @property
    def grid_count(self) -> int:
        return int(self.grids.shape[0])

    def to_bytes(self) -> bytes:
        return WIRE_MAGIC + self.length.to_bytes(8, "little") + self.grids.tobytes()

    @classmethod
    def from_bytes(cls, blob: bytes) -> AtlasState:
        if len(blob) < _WIRE_HEADER or blob[:4] != WIRE_MAGIC or (len(blob) - _WIRE_HEADER) % GRID_BYTES:
            raise ValueError("not an Atlas-12288 state: expected b'ATL1', an 8-byte length, whole grids")
        length = int.from_bytes(blob[4:_WIRE_HEADER], "little")
        grids = np.frombuffer(blob, dtype=np.uint8, offset=_WIRE_HEADER).reshape(-1, PAGES, CYCLES)
        return cls(length, grids)


def grids_needed(length: int) -> int:
    return max(1, math.ceil(length / GRID_CAPACITY))


def encode(data: bytes) -> AtlasState:
    """Encode bytes into parity-balanced grids (deterministic)."""
    payload = np.frombuffer(bytes(data), dtype=np.uint8)
    count = grids_needed(len(payload))
    body = np.zeros(count * GRID_CAPACITY, dtype=np.uint8)
    body[: len(payload)] = payload
    grids = np.empty((count, PAGES, CYCLES), dtype=np.uint8)
    grids[:, :DATA_ROWS, :DATA_COLS] = body.reshape(count, DATA_ROWS, DATA_COLS)
    # uint8 sums wrap mod 256, which is exactly the arithmetic of the contract.
    grids[:, :DATA_ROWS, DATA_COLS] = -np.add.reduce(grids[:, :DATA_ROWS, :DATA_COLS], axis=2, dtype=np.uint8)
    grids[:, DATA_ROWS, :] = -np.add.reduce(grids[:, :DATA_ROWS, :], axis=1, dtype=np.uint8)
    return AtlasState(len(payload), grids)


def verify(state: AtlasState) -> bool:
    """True exactly when every row and column sums to 0 mod 256 and the length header is consistent."""
    grids = getattr(state, "grids", None)
    length = getattr(state, "length", None)
    if not isinstance(grids, np.ndarray) or grids.dtype != np.uint8 or grids.ndim != 3:
        return False
    if grids.shape[1:] != (PAGES, CYCLES) or not isinstance(length, int) or length < 0:
        return False
    if grids.shape[0] != grids_needed(length):
        return False
    if np.add.reduce(grids, axis=2, dtype=np.uint8).any() or np.add.reduce(grids, axis=1, dtype=np.uint8).any():
        return False
    return not _data_region(grids)[length:].any()


def decode(state: AtlasState) -> bytes:
    """The payload bytes of a valid state; raises ValueError on an invalid one."""
    if not verify(state):
        raise ValueError("invalid Atlas-12288 state: a parity or the length header does not check")
    return _data_region(state.grids)[: state.length].tobytes()


def _data_region(grids: np.ndarray) -> np.ndarray:
    return grids[:, :DATA_ROWS, :DATA_COLS].reshape(-1)


def witnesses(state: AtlasState) -> list[str]:
    """SHA-256 (hex) of each grid, in order."""
    return [hashlib.sha256(grid.tobytes()).hexdigest() for grid in state.grids]


def merkle_root(witness_hashes: list[str]) -> str:
    """Merkle root (hex) over the grid hashes; a client recomputes it from bytes it fetched itself."""
    if not witness_hashes:
        raise ValueError("a Merkle root needs at least one witness")
    level = [hashlib.sha256(b"\x00" + bytes.fromhex(h)).digest() for h in witness_hashes]
    while len(level) > 1:
        paired = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        level = paired + ([level[-1]] if len(level) % 2 else [])
    return level[0].hex()


def descriptor(state: AtlasState) -> dict[str, object]:
    """Compact description of an encoding, as the marketplace publishes it."""
    return {"scheme": "atlas-12288", "grids": state.grid_count, "length": state.length}
