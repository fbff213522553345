"""The E2E probe's steps. Every step proves itself or fails loudly; the log says where a run stopped.

preflight → manifest → ipfs_publish → ipfs_cat → tamper_check → marketplace_publish → install → resolve →
resolve_again → search → uninstall → unpin → run_end. A failed step ends the run with `run_end` naming the
last step that succeeded. Steps the marketplace does not offer (install, search, uninstall) are `skip`.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hologram_lib import atlas, cid
from hologram_lib.clients import GraphQLClient, IpfsClient
from hologram_lib.clock import new_run_id, utc_stamp
from hologram_lib.config import ProbeSettings
from hologram_lib.e2e.discovery import Marketplace
from hologram_lib.e2e.events import STEPS, EventLog
from hologram_lib.errors import NotOffered, ServiceError, StepFailed
from hologram_lib.layout import PerfDir
from hologram_lib.locks import locked
from hologram_lib.outcomes import Step
from hologram_lib.perf.files import MetricResult, append_suite
from hologram_lib.redact import one_line

MAX_ENCODING_CHARS = 120


class _Skipped(Exception):
    """The marketplace does not offer this step's operation."""


class _RunStopped(Exception):
    pass


@dataclass(kw_only=True)
class ProbeResult:
    run_id: str
    status: Step  # ok | fail | skip
    last_ok: str | None = None
    failed_step: str | None = None
    error: str | None = None
    step_ms: dict[str, float] = field(default_factory=dict)
    wall_s: float = 0.0
    waited_s: float = 0.0

    @property
    def failed(self) -> bool:
        """The run failed a step (exit 1); a skipped run (no services configured) did not."""
        return self.status == Step.FAIL

    def line(self, events: Path) -> str:
        """What `hologram e2e probe` says of this run, in one line; `events` is the log its events went to."""
        if self.status == Step.SKIP:
            return f"e2e probe: SKIP ({self.error})"
        if self.failed:
            return f"e2e probe: FAIL run {self.run_id} at {self.failed_step} (last ok: {self.last_ok}): {self.error}"
        return (
            f"e2e probe: PASS run {self.run_id}: {len(self.step_ms)} steps in {self.wall_s:.2f} s "
            f"({self.waited_s:.2f} s waiting on the services); events in {events}"
        )


def canonical_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def flip_one_bit(data: bytes) -> bytes:
    tampered = bytearray(data)
    tampered[len(tampered) // 2] ^= 0x01
    return bytes(tampered)


class Probe:
    def __init__(self, settings: ProbeSettings, events_path: Path) -> None:
        self.settings = settings
        self.run_id = new_run_id()
        self.log = EventLog(events_path, self.run_id, [settings.graphql_token])
        self.result = ProbeResult(run_id=self.run_id, status=Step.OK)
        self.facts: dict[str, Any] = {}
        self.ipfs: IpfsClient | None = None
        self.graphql: GraphQLClient | None = None
        self.market: Marketplace | None = None

    @property
    def node(self) -> IpfsClient:
        """The IPFS client, once preflight made it (every later step runs after preflight)."""
        assert self.ipfs is not None, "preflight runs first"
        return self.ipfs

    @property
    def marketplace(self) -> Marketplace:
        assert self.market is not None, "preflight runs first"
        return self.market

    # -- running -------------------------------------------------------------------------------------------

    def run(self) -> ProbeResult:
        started = time.perf_counter()
        try:
            if self._preflight_skipped():
                return self.result
            self._run_steps()
        except _RunStopped:
            pass
        finally:
            self.result.wall_s = time.perf_counter() - started
            self.result.waited_s = sum(c.waited_s for c in (self.ipfs, self.graphql) if c is not None)
            for client in (self.ipfs, self.graphql):
                if client is not None:
                    client.close()
        return self.result

    def _run_steps(self) -> None:
        for name in STEPS:  # the one list of steps (events.STEPS): each is this class's method of that name
            self._step(name, getattr(self, name))
        self.log.emit(
            "run_end",
            Step.OK,
            self._total_ms(),
            last_ok=self.result.last_ok,
            name=self.facts["name"],
            cid=self.facts["cid"],
        )

    def _total_ms(self) -> float:
        return sum(self.result.step_ms.values())

    def _step(self, name: str, step: Callable[[], dict[str, Any]]) -> None:
        start = time.perf_counter()
        try:
            fields = step()
        except _Skipped as exc:
            self.log.emit(name, Step.SKIP, (time.perf_counter() - start) * 1000, reason=str(exc))
            return
        except (ServiceError, StepFailed, NotOffered) as exc:
            self._fail(name, start, str(exc))
            raise _RunStopped from None
        except Exception as exc:
            # A bug in the probe (or an answer it could not make sense of): still say where the run stopped.
            self._fail(name, start, f"internal error: {type(exc).__name__}: {exc}")
            raise
        elapsed = (time.perf_counter() - start) * 1000
        self.result.step_ms[name] = elapsed
        self.result.last_ok = name
        self.log.emit(name, Step.OK, elapsed, **fields)

    def _fail(self, name: str, start: float, reason: str) -> None:
        elapsed = (time.perf_counter() - start) * 1000
        error = one_line(reason, [self.settings.graphql_token])
        self.log.emit(name, Step.FAIL, elapsed, error=error)
        self.result.status, self.result.failed_step, self.result.error = Step.FAIL, name, error
        self.log.emit(
            "run_end", Step.FAIL, self._total_ms() + elapsed, last_ok=self.result.last_ok, failed_step=name, error=error
        )

    def _preflight_skipped(self) -> bool:
        missing = [
            v
            for v, value in (("IPFS_API", self.settings.ipfs_api), ("GRAPHQL_URL", self.settings.graphql_url))
            if not value
        ]
        if not missing:
            return False
        reason = f"{' and '.join(missing)} not set: no services to probe"
        self.log.emit("preflight", Step.SKIP, 0.0, reason=reason)
        self.log.emit("run_end", Step.SKIP, 0.0, reason=reason)
        self.result.status, self.result.error = Step.SKIP, reason
        return True

    # -- steps ---------------------------------------------------------------------------------------------

    def preflight(self) -> dict[str, Any]:
        ipfs_api, graphql_url = self.settings.ipfs_api, self.settings.graphql_url
        assert ipfs_api is not None and graphql_url is not None  # else the run was skipped before preflight
        self.ipfs = IpfsClient(ipfs_api, self.settings.timeout_s)
        self.graphql = GraphQLClient(graphql_url, self.settings.graphql_token, self.settings.timeout_s)
        version = self.ipfs.version()
        self.graphql.execute("{ __typename }")
        self.market = Marketplace(self.graphql)
        introspection = self.market.introspect()
        return {"ipfs_version": version, "introspection": "on" if introspection else "off"}

    def manifest(self) -> dict[str, Any]:
        name = f"{self.settings.app_name}-{self.run_id.lower()}"
        payload = f"hologram e2e probe payload for {name}\n".encode() + os.urandom(2048)
        payload_cid = cid.raw_leaf_cid(payload)
        document = {
            "name": name,
            "kind": "app",
            "mime": "application/octet-stream",
            "size": len(payload),
            "sha256": hashlib.sha256(payload).hexdigest(),
            "cid": payload_cid,
            "version": "1",
            "ts": utc_stamp("milliseconds"),
        }
        manifest = canonical_json(document)
        self.facts.update(
            name=name,
            payload=payload,
            cid=payload_cid,
            sha256=document["sha256"],
            manifest=manifest,
            manifest_cid=cid.raw_leaf_cid(manifest),
        )
        return {"name": name, "cid": payload_cid, "manifest_cid": self.facts["manifest_cid"], "size": len(payload)}

    def ipfs_publish(self) -> dict[str, Any]:
        for key, data_key in (("cid", "payload"), ("manifest_cid", "manifest")):
            returned = self.node.add(self.facts[data_key], pin=True)
            if returned != self.facts[key]:
                raise StepFailed(
                    f"the node returned CID {returned} for the {data_key}, but its bytes hash to {self.facts[key]}"
                )
        return {"name": self.facts["name"], "cid": self.facts["cid"], "manifest_cid": self.facts["manifest_cid"]}

    def ipfs_cat(self) -> dict[str, Any]:
        for key, data_key in (("cid", "payload"), ("manifest_cid", "manifest")):
            if self.node.cat(self.facts[key]) != self.facts[data_key]:
                raise StepFailed(f"cat {self.facts[key]} returned other bytes than were added")
        return {"cid": self.facts["cid"], "bytes": len(self.facts["payload"])}

    def tamper_check(self) -> dict[str, Any]:
        tampered = flip_one_bit(self.facts["payload"])
        local = cid.raw_leaf_cid(tampered)
        from_node = self.node.add(tampered, pin=False, only_hash=True)
        if local == self.facts["cid"] or from_node != local:
            raise StepFailed(f"a one-bit change was not reflected in the CID (local {local}, node {from_node})")
        return {"cid": self.facts["cid"], "tampered_cid": local}

    def _values(self) -> dict[str, str]:
        return {
            "name": self.facts["name"],
            "cid": self.facts["cid"],
            "manifestCid": self.facts["manifest_cid"],
            "sha256": self.facts["sha256"],
            "q": self.facts["name"],
        }

    def _call(self, role: str) -> tuple[str, Any]:
        try:
            return self.marketplace.call(role, self._values())
        except NotOffered as exc:
            if role in ("install", "search", "uninstall"):
                raise _Skipped(str(exc)) from None
            raise

    def marketplace_publish(self) -> dict[str, Any]:
        operation, answer = self._call("publish")
        if isinstance(answer, dict) and answer.get("cid") not in (None, self.facts["cid"]):
            raise StepFailed(f"{operation} answered cid {answer.get('cid')}, expected {self.facts['cid']}")
        if (isinstance(answer, dict) and answer.get("ok") is False) or answer in (None, False):
            raise StepFailed(f"{operation} did not confirm the publish")
        return {"name": self.facts["name"], "cid": self.facts["cid"], "operation": operation}

    def install(self) -> dict[str, Any]:
        operation, answer = self._call("install")
        status = answer.get("status") if isinstance(answer, dict) else answer
        if answer in (None, False) or status in ("failed", "error"):
            raise StepFailed(f"{operation} did not confirm the install ({status!r})")
        return {"name": self.facts["name"], "operation": operation, "install_status": str(status)}

    def _resolution(self) -> dict[str, Any]:
        operation, answer = self._call("resolve")
        if not isinstance(answer, dict):
            raise StepFailed(f"{operation}({self.facts['name']!r}) returned nothing")
        if answer.get("cid") != self.facts["cid"]:
            raise StepFailed(f"resolve returned cid {answer.get('cid')}, expected {self.facts['cid']}")
        if not answer.get("encoding"):
            raise StepFailed("resolve returned an empty encoding")
        return answer

    def resolve(self) -> dict[str, Any]:
        answer = self._resolution()
        proofs = answer.get("proofs")
        checked = "absent"
        if proofs is not None:
            self._verify_proofs(proofs)
            checked = "verified"
        self.facts["resolution"] = answer
        encoding = str(answer["encoding"])
        return {
            "name": self.facts["name"],
            "cid": answer["cid"],
            "encoding": encoding[:MAX_ENCODING_CHARS],
            "encoding_len": len(encoding),
            "proofs": checked,
        }

    def _verify_proofs(self, proofs: dict[str, Any]) -> None:
        """Recompute the Atlas-12288 witnesses and Merkle root from bytes fetched from IPFS ourselves."""
        witnesses = atlas.witnesses(atlas.encode(self.node.cat(self.facts["cid"])))
        if proofs.get("witnesses") != witnesses:
            raise StepFailed("resolve's witnesses do not match the Atlas-12288 grids of the bytes on IPFS")
        if proofs.get("merkleRoot") != atlas.merkle_root(witnesses):
            raise StepFailed("resolve's Merkle root does not match the bytes on IPFS")

    def resolve_again(self) -> dict[str, Any]:
        if self._resolution() != self.facts["resolution"]:
            raise StepFailed("a second resolve answered differently from the first")
        return {"name": self.facts["name"], "cid": self.facts["cid"]}

    def search(self) -> dict[str, Any]:
        operation, answer = self._call("search")
        hits = answer if isinstance(answer, list) else []
        if not any(isinstance(h, dict) and h.get("name") == self.facts["name"] for h in hits):
            raise StepFailed(f"{operation} did not find {self.facts['name']!r} ({len(hits)} hits)")
        return {"name": self.facts["name"], "hit": True, "hits": len(hits)}

    def uninstall(self) -> dict[str, Any]:
        operation, answer = self._call("uninstall")
        if answer in (None, False):
            raise StepFailed(f"{operation} did not confirm the uninstall")
        return {"name": self.facts["name"], "operation": operation}

    def unpin(self) -> dict[str, Any]:
        for key in ("cid", "manifest_cid"):
            self.node.unpin(self.facts[key])
            if self.node.pinned(self.facts[key]):
                raise StepFailed(f"{self.facts[key]} is still pinned after pin/rm")
        return {"cid": self.facts["cid"]}


def record_latencies(perf_dir: Path, result: ProbeResult) -> None:
    """Add this probe's step latencies to perf/samples/e2e.csv as e2e.<step>_ms (one run of one sample per step)."""
    if not result.step_ms:
        return
    samples = [MetricResult.one_run("e2e", f"{step}_ms", [ms]) for step, ms in result.step_ms.items()]
    with locked(PerfDir(perf_dir).samples("e2e")):
        append_suite(perf_dir, "e2e", samples, result.run_id)
