"""Hostile or broken service answers (a real loopback server answering what a hostile IPFS node or GraphQL server
could): each fails the probe's step with a reason in the event log; none is a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import hologram
from tests.http_server import serving

GOOD_IPFS_VERSION = b'{"Version": "0.30.0"}'
TYPENAME = b'{"data": {"__typename": "Query"}}'


def _answers(ipfs_version: bytes, introspection: bytes):  # type: ignore[no-untyped-def]
    def answer(path: str, _headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        if path.startswith("/api/v0/version"):
            return 200, ipfs_version
        if path.startswith("/graphql"):
            return 200, introspection if b"__schema" in body else TYPENAME
        return 404, b"{}"

    return answer


@pytest.mark.parametrize(
    ("ipfs_version", "introspection", "reason"),
    [
        (b"[]", b"{}", "IPFS version answered JSON that is not an object"),
        (b"<html>hello</html>", b"{}", "IPFS version answered HTTP 200 without JSON"),
        (b'{"Version": []}', b"{}", "without a Version string"),
        (GOOD_IPFS_VERSION, b'{"data": {"other": 1}}', "introspection's answer was not the shape"),
        (GOOD_IPFS_VERSION, b'{"data": {"__schema": {"types": "a string"}}}', "introspection's answer was not"),
        (GOOD_IPFS_VERSION, b'{"data": {"__schema": {"types": [{"name": "Q", "fields": 7}]}}}', "not the shape"),
        (GOOD_IPFS_VERSION, b"not json at all", "without JSON"),
        (GOOD_IPFS_VERSION, b'{"errors": 5}', "`errors` that is not a list"),
        (GOOD_IPFS_VERSION, b'"a string"', "JSON that is not an object"),
    ],
)
def test_a_hostile_answer_fails_the_step_with_a_reason(
    tmp_path: Path, ipfs_version: bytes, introspection: bytes, reason: str
) -> None:
    events = tmp_path / "events.jsonl"
    with serving(_answers(ipfs_version, introspection)) as base:
        env = {"IPFS_API": base, "GRAPHQL_URL": base + "/graphql", "E2E_TIMEOUT_S": "5"}
        done = hologram("e2e", "probe", "--events", str(events), "--perf-dir", str(tmp_path / "perf"), env=env)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    records = [json.loads(line) for line in events.read_text().splitlines()]
    failed = [r for r in records if r["event"] == "preflight"]
    assert failed and failed[0]["status"] == "fail" and reason in failed[0]["error"]
    assert records[-1]["event"] == "run_end" and records[-1]["failed_step"] == "preflight"
