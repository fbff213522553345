"""The perf suites: core (encode / verify of the target codec), graphql (resolve), ipfs (add / cat).

A suite whose service is not configured is built with a skip reason, so the files record why it has no data.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, cast

import numpy as np

from hologram_lib.config import PerfKnobs
from hologram_lib.errors import InputError, ServiceError, SuiteError
from hologram_lib.perf.harness import measure

VERIFY_PAYLOAD_BYTES = 64 * 1024
IPFS_PAYLOAD_BYTES = 1024
RESOLVE_QUERY = "query($n:String!){ resolve(name:$n){ encoding } }"


class Codec(Protocol):
    """What HOLOGRAM_TARGET names: encode bytes into a state, verify a state."""

    def encode(self, data: bytes) -> object: ...

    def verify(self, state: object) -> object: ...


@dataclass
class Metric:
    """One measured quantity; `sample(n)` returns n more samples in ms (warm-up already done)."""

    name: str
    sample: Callable[[int], np.ndarray]
    initial_samples: int
    call: Callable[[], object] | None = None  # one untimed call of the measured work (the counted measurement)
    warmup: int = 0
    cpu_ms: list[float] | None = None  # in-process metrics: each timed call's thread CPU time (ms), beside the wall


@dataclass
class Suite:
    name: str
    metric_names: list[str]
    metrics: list[Metric] = field(default_factory=list)
    skip_reason: str | None = None
    close: Callable[[], None] = lambda: None


DEFAULT_TARGET = "hologram_lib.atlas"


def _module_from_tree(module_name: str, tree: Path) -> object:
    """Import `module_name` from the files of another checkout (`hologram ab`'s base tree), under a private name so
    that it never collides with the running package; the tree comes first on sys.path for its own imports."""
    relative = Path(*module_name.split("."))
    candidates = [tree / relative.with_suffix(".py"), tree / relative / "__init__.py"]
    path = next((c for c in candidates if c.is_file()), None)
    if path is None:
        raise ImportError(f"no {relative}.py in {tree}")
    sys.path.insert(0, str(tree))
    spec = importlib.util.spec_from_file_location(f"_hologram_tree_target.{module_name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickling look their module up here
    spec.loader.exec_module(module)
    return module


def load_target(spec: str | None, tree: Path | None = None) -> Codec:
    """HOLOGRAM_TARGET=package.module:object (an object with encode and verify); default: the reference codec.
    With `tree`, the module is loaded from that checkout's files instead of the installed package."""
    spec = spec or DEFAULT_TARGET
    module_name, _, attribute = spec.partition(":")
    try:
        target: object = _module_from_tree(module_name, tree) if tree else importlib.import_module(module_name)
        for part in filter(None, attribute.split(".")):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise InputError(f"HOLOGRAM_TARGET={spec!r}: expected package.module:object importable here ({exc})") from None
    except Exception as exc:  # the module itself raised on import
        raise InputError(f"HOLOGRAM_TARGET={spec!r}: importing it raised {type(exc).__name__}: {exc}") from None
    if not callable(getattr(target, "encode", None)) or not callable(getattr(target, "verify", None)):
        raise InputError(f"HOLOGRAM_TARGET={spec!r}: expected an object with encode(data) and verify(state)")
    return cast(Codec, target)  # checked just above: it has callable encode and verify


def reference_payload(size: int) -> bytes:
    """bytes(i % 256 for i in range(size)), as the upstream suites encoded."""
    return (np.arange(size, dtype=np.int64) % 256).astype(np.uint8).tobytes()


def _timed(
    fn: Callable[[], object],
    warmup: int,
    knobs: PerfKnobs,
    make_cold: Callable[[], object] | None = None,
    cpu_ms: list[float] | None = None,
) -> Callable[[int], np.ndarray]:
    """A metric's sampler. Warm: `warmup` untimed calls first. Cold (COLD=1): no warm-up, and `make_cold`
    before every sample. `cpu_ms` collects each sample's thread CPU time."""
    warmed = knobs.cold

    def sample(n: int) -> np.ndarray:
        nonlocal warmed
        cold = make_cold if knobs.cold else None
        batch = measure(fn, n, 0 if warmed else warmup, knobs.timeout_s, cold, cpu_ms)
        warmed = True
        return batch

    return sample


def cache_evictor(megabytes: int = 32) -> Callable[[], None]:
    """Write a buffer larger than the CPU caches, so the next call starts with cold caches."""
    buffer = np.zeros(megabytes * 1024 * 1024, dtype=np.uint8)

    def evict() -> None:
        np.add(buffer, 1, out=buffer)

    return evict


def cpu_name(wall_name: str) -> str:
    """encode_1MB_ms → encode_1MB_cpu_ms: the thread CPU time of the same calls."""
    return f"{wall_name.removesuffix('_ms')}_cpu_ms"


def metric_names(suite: str, knobs: PerfKnobs) -> list[str]:
    """The metrics a suite records, known before it runs (so a skip or a failure can name them). In-process suites
    also record each call's thread CPU time (`<name>_cpu_ms`) where the run answers with it."""
    return {
        "core": [f"encode_{knobs.enc_mb}MB_ms", "verify_ms"],
        "graphql": ["resolve_ms"],
        "ipfs": ["add_ms", "cat_ms"],
    }[suite]


def skip_reason(suite: str, knobs: PerfKnobs) -> str | None:
    """Why a suite cannot run here (its service is not configured), known without starting a process."""
    if suite == "graphql" and not knobs.graphql_url:
        return "GRAPHQL_URL is not set"
    if suite == "ipfs" and not knobs.ipfs_api:
        return "IPFS_API is not set"
    return None


def core_suite(knobs: PerfKnobs, tree: Path | None = None) -> Suite:
    target = load_target(knobs.target, tree)
    encode_payload = reference_payload(knobs.enc_mb * 1024 * 1024)
    try:
        state = target.encode(reference_payload(VERIFY_PAYLOAD_BYTES))
        verified = target.verify(state)
    except Exception as exc:  # the user's target is broken: bad input, named in one line
        spec = knobs.target or DEFAULT_TARGET
        raise InputError(f"HOLOGRAM_TARGET={spec!r}: encode/verify raised {type(exc).__name__}: {exc}") from None
    if verified is not True:
        raise SuiteError("the target's verify() rejects the state its own encode() produced")
    encode_name, verify_name = metric_names("core", knobs)
    evict = cache_evictor() if knobs.cold else None

    def encode() -> object:
        return target.encode(encode_payload)

    def verify() -> object:
        return target.verify(state)

    encode_cpu_ms: list[float] = []
    verify_cpu_ms: list[float] = []
    metrics = [
        Metric(encode_name, _timed(encode, 5, knobs, evict, encode_cpu_ms), knobs.samples, encode, 5, encode_cpu_ms),
        Metric(verify_name, _timed(verify, 10, knobs, evict, verify_cpu_ms), knobs.samples, verify, 10, verify_cpu_ms),
    ]
    return Suite("core", [encode_name, verify_name], metrics)


def graphql_suite(knobs: PerfKnobs, tree: Path | None = None) -> Suite:
    from hologram_lib.clients import GraphQLClient  # lazy: a core run starts faster without requests

    if not knobs.graphql_url:
        return Suite("graphql", metric_names("graphql", knobs), skip_reason=skip_reason("graphql", knobs))
    client = GraphQLClient(knobs.graphql_url, knobs.graphql_token, knobs.timeout_s)
    variables = {"n": knobs.graphql_test_name}

    def resolve() -> None:
        data = client.execute(RESOLVE_QUERY, variables)
        if not (data.get("resolve") or {}).get("encoding"):
            raise ServiceError(f"resolve({knobs.graphql_test_name!r}) returned no encoding")

    metric = Metric("resolve_ms", _timed(resolve, knobs.gql_warmup, knobs, client.reconnect), knobs.gql_samples)
    return Suite("graphql", metric_names("graphql", knobs), [metric], close=client.close)


def ipfs_suite(knobs: PerfKnobs, tree: Path | None = None) -> Suite:
    from hologram_lib.clients import IpfsClient

    if not knobs.ipfs_api:
        return Suite("ipfs", metric_names("ipfs", knobs), skip_reason=skip_reason("ipfs", knobs))
    client = IpfsClient(knobs.ipfs_api, knobs.timeout_s)
    payload = reference_payload(IPFS_PAYLOAD_BYTES)
    cid = client.add(payload, pin=False)

    def cat() -> None:
        if client.cat(cid) != payload:
            raise ServiceError(f"IPFS cat {cid} returned other bytes than were added")

    metrics = [
        Metric("add_ms", _timed(lambda: client.add(payload, pin=False), 5, knobs, client.reconnect), knobs.samples),
        Metric("cat_ms", _timed(cat, 5, knobs, client.reconnect), knobs.samples),
    ]
    return Suite("ipfs", metric_names("ipfs", knobs), metrics, close=client.close)


SUITE_BUILDERS: dict[str, Callable[[PerfKnobs, Path | None], Suite]] = {
    "core": core_suite,
    "graphql": graphql_suite,
    "ipfs": ipfs_suite,
}
