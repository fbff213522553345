"""The reference marketplace as a real process over HTTP (no IPFS node needed: everything here is refused before
one is asked): request-level refusals carry a code, names have one canonical spelling, and a request head that
trickles in is cut off."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
import requests

from hologram_lib import config
from hologram_lib.devstack.server import HEADER_TIMEOUT_S
from tests.marketplace_process import marketplace_process

TOKEN = "tok-marketplace-hostile"
PUBLISH = "mutation($n:String!,$c:String!){ publishApp(name:$n, cid:$c){ ok } }"
CID = "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN"


@pytest.fixture(scope="module")
def marketplace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("market") / "marketplace.sqlite"
    with marketplace_process(db, "http://127.0.0.1:9", env={config.MARKETPLACE_TOKEN: TOKEN}) as url:
        yield url


@pytest.mark.parametrize(
    "body",
    [
        [{"query": "{ __typename }"}],  # a batch
        {"query": 5},
        {"query": ["{ __typename }"]},
        {"query": "{ __typename }", "operationName": 5},
        {"query": "query A { __typename }", "operationName": "B"},
        {"query": "query A { __typename } query B { __typename }"},
        {"query": "{ __typename }", "variables": "x"},
    ],
)
def test_every_request_refusal_has_a_code(marketplace: str, body: object) -> None:
    answer = requests.post(marketplace, json=body, timeout=10).json()
    assert answer["errors"] and all(e["extensions"]["code"] == "BAD_REQUEST" for e in answer["errors"]), answer


@pytest.mark.parametrize(
    "name",
    ["demo//app/x", "demo/./app/x", "demo/../app/x", "demo/app/x/", "demo/app/x.", "Demo/app/x", "demo/APP/x"],
)
def test_lookalike_names_are_refused(marketplace: str, name: str) -> None:
    answer = requests.post(
        marketplace,
        json={"query": PUBLISH, "variables": {"n": name, "c": CID}},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    ).json()
    error = answer["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["message"].startswith("name:"), answer


def test_a_canonical_name_passes_the_name_check(marketplace: str) -> None:
    """The control: the same request with a canonical name gets past the name (and fails later, at IPFS)."""
    answer = requests.post(
        marketplace,
        json={"query": PUBLISH, "variables": {"n": "demo/app/x-1.2", "c": CID}},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    ).json()
    assert not any(str(e.get("message", "")).startswith("name:") for e in answer.get("errors") or [])


def test_a_trickling_request_head_is_cut_off(marketplace: str) -> None:
    port = int(marketplace.split(":")[2].split("/")[0])
    with socket.create_connection(("127.0.0.1", port), timeout=HEADER_TIMEOUT_S + 10) as connection:
        connection.sendall(b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        start = time.monotonic()
        closed_after = None
        while time.monotonic() - start < HEADER_TIMEOUT_S + 8:
            try:
                connection.sendall(b"X")  # one header byte a second, never the end of the head
            except OSError:
                closed_after = time.monotonic() - start
                break
            connection.settimeout(1.0)
            try:
                if connection.recv(1024) == b"":
                    closed_after = time.monotonic() - start
                    break
            except TimeoutError:
                pass
    assert closed_after is not None and closed_after < HEADER_TIMEOUT_S + 3, closed_after


def test_a_kept_alive_connection_still_serves_a_second_request(marketplace: str) -> None:
    with requests.Session() as session:
        for _ in range(2):
            answer = session.post(marketplace, json={"query": "{ __typename }"}, timeout=10).json()
            assert answer == {"data": {"__typename": "Query"}}
        time.sleep(1)
        assert session.post(marketplace, json={"query": "{ __typename }"}, timeout=10).status_code == 200
