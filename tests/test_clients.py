"""The HTTP clients' contract details: NDJSON add replies, Size as string or number, the token's prefix."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from hologram_lib.clients import GraphQLClient, IpfsClient, authorization_header
from hologram_lib.errors import ServiceError
from tests.http_server import serving


@contextmanager
def replying(body: bytes, status: int = 200) -> Iterator[tuple[str, list]]:
    """A loopback server answering every POST with `body`; yields its URL and the (path, headers) it saw."""
    seen: list[tuple[str, dict[str, str]]] = []

    def answer(path: str, headers: dict[str, str], _body: bytes) -> tuple[int, bytes]:
        seen.append((path, headers))
        return status, body

    with serving(answer) as url:
        yield url, seen


@pytest.mark.parametrize("size", ['"1048576"', "1048576"])
def test_add_reads_the_last_ndjson_line_whatever_type_size_has(size: str) -> None:
    reply = (
        f'{{"Name":"chunk","Hash":"bafkreifirst","Size":{size}}}\n'
        f'{{"Name":"data","Hash":"bafkreilast","Size":{size},"Mode":"0644"}}\n'
    ).encode()
    with replying(reply) as (url, seen), IpfsClient(url) as client:
        assert client.add(b"x" * 10) == "bafkreilast"
    path, _ = seen[0]
    assert path.startswith("/api/v0/add?") and "pin=true" in path and "cid-version=1" in path


def test_kubo_error_message_is_reported() -> None:
    reply = b'{"Message":"merkledag: not found","Code":0,"Type":"error"}'
    expected = pytest.raises(ServiceError, match="IPFS cat answered HTTP 500: merkledag: not found")
    with replying(reply, 500) as (url, _), IpfsClient(url) as client, expected:
        client.cat("bafkreiabc")


@pytest.mark.parametrize("token", ["s3cret", "Bearer s3cret", "bearer s3cret", "  s3cret  "])
def test_token_with_or_without_bearer_prefix(token: str) -> None:
    header = authorization_header(token)["Authorization"]
    assert header.lower() == "bearer s3cret"
    with replying(json.dumps({"data": {"ok": True}}).encode()) as (url, seen), GraphQLClient(url, token) as client:
        assert client.execute("{ ok }") == {"ok": True}
        client.execute("{ ok }")
    assert [h["Authorization"] for _, h in seen] == [header, header]
    assert authorization_header(None) == {} and authorization_header("") == {}


def test_graphql_answer_without_data_is_an_error() -> None:
    no_data = pytest.raises(ServiceError, match="without data")
    with replying(b'{"nothing": true}') as (url, _), GraphQLClient(url) as client, no_data:
        client.execute("{ ok }")
    no_json = pytest.raises(ServiceError, match="HTTP 502 without JSON")
    with replying(b"<html>bad gateway</html>", 502) as (url, _), GraphQLClient(url) as client, no_json:
        client.execute("{ ok }")
