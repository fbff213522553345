"""The reference Atlas-12288 codec against its contract."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hologram_lib import atlas


@given(st.binary(max_size=30_000))
def test_round_trip_and_valid(data: bytes) -> None:
    state = atlas.encode(data)
    assert atlas.verify(state)
    assert atlas.decode(state) == data


@given(st.binary(max_size=5_000))
def test_encode_is_deterministic(data: bytes) -> None:
    first, second = atlas.encode(data), atlas.encode(data)
    assert first.length == second.length
    assert np.array_equal(first.grids, second.grids)
    assert first.to_bytes() == second.to_bytes()


def test_every_row_and_column_sums_to_zero_mod_256() -> None:
    state = atlas.encode(bytes(range(256)) * 100)
    grids = state.grids.astype(np.int64)
    assert (grids.sum(axis=2) % 256 == 0).all()
    assert (grids.sum(axis=1) % 256 == 0).all()


@pytest.mark.parametrize(
    ("size", "grids"),
    [(0, 1), (1, 1), (atlas.GRID_CAPACITY, 1), (atlas.GRID_CAPACITY + 1, 2), (2 * atlas.GRID_CAPACITY + 1, 3)],
)
def test_boundary_sizes(size: int, grids: int) -> None:
    data = bytes((i * 7 + 3) % 256 for i in range(size))
    state = atlas.encode(data)
    assert state.grid_count == grids
    assert atlas.decode(state) == data
    assert atlas.GRID_CAPACITY == 11_985


@pytest.mark.slow
def test_every_single_bit_flip_of_one_grid_is_detected() -> None:
    state = atlas.encode(bytes((i * 31) % 256 for i in range(atlas.GRID_CAPACITY)))
    flat = state.grids.reshape(-1)
    for index in range(flat.size):  # all 12,288 cells x 8 bits
        for bit in range(8):
            flat[index] ^= 1 << bit
            assert not atlas.verify(state), (index, bit)
            flat[index] ^= 1 << bit
    assert atlas.verify(state)


@pytest.mark.slow
@settings(max_examples=200)
@given(st.binary(min_size=1, max_size=25_000), st.data())
def test_a_random_bit_flip_is_detected_in_multi_grid_states(data: bytes, draw: st.DataObject) -> None:
    state = atlas.encode(data)
    flat = state.grids.reshape(-1)
    index = draw.draw(st.integers(0, flat.size - 1))
    flat[index] ^= 1 << draw.draw(st.integers(0, 7))
    assert not atlas.verify(state)
    with pytest.raises(ValueError, match="invalid"):
        atlas.decode(state)


def test_inconsistent_length_header_is_rejected() -> None:
    state = atlas.encode(b"hello world")
    assert not atlas.verify(atlas.AtlasState(5, state.grids))  # padding would hold data
    assert not atlas.verify(atlas.AtlasState(atlas.GRID_CAPACITY + 1, state.grids))  # needs 2 grids
    assert not atlas.verify(atlas.AtlasState(-1, state.grids))
    assert not atlas.verify(object())


def test_wire_format_round_trip_and_rejects_garbage() -> None:
    state = atlas.encode(b"x" * 20_000)
    again = atlas.AtlasState.from_bytes(state.to_bytes())
    assert atlas.decode(again) == b"x" * 20_000
    with pytest.raises(ValueError, match="ATL1"):
        atlas.AtlasState.from_bytes(b"ATL1" + b"\x00" * 10)


def test_witnesses_and_merkle_root() -> None:
    state = atlas.encode(bytes(range(256)) * 200)  # 51,200 bytes → 5 grids (odd count exercises carry-up)
    hashes = atlas.witnesses(state)
    assert len(hashes) == state.grid_count == 5
    root = atlas.merkle_root(hashes)
    assert root == atlas.merkle_root(atlas.witnesses(atlas.encode(bytes(range(256)) * 200)))
    tampered = list(hashes)
    tampered[3] = "00" * 32
    assert atlas.merkle_root(tampered) != root
    assert atlas.merkle_root(hashes[:1]) != hashes[0]  # leaves are domain-separated from inner nodes
    assert atlas.descriptor(state) == {"scheme": "atlas-12288", "grids": 5, "length": 51_200}
