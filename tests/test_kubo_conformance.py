"""The embedded IPFS node against Kubo's documented RPC contract, call by call, as clients nobody here wrote use it.

Each test cites the page of Kubo's RPC reference it pins (https://docs.ipfs.tech/reference/kubo/rpc/). The node is
js-ipfs behind a translating front server (`hologram_lib/devstack/node/kubo-shim.mjs`); every assertion here is
a place where plain js-ipfs answered differently.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import requests

HELLO = b"hello\n"
HELLO_V0 = "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN"
HELLO_V1 = "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am"
HELLO_V1_BASE58 = "zb2rhcc1wJn2GHDLT2YkmPq5b69cXc2xfRZZmyufbjFUfBkxr"


def rpc(stack, call: str, **kwargs) -> requests.Response:
    return requests.post(f"{stack.ipfs_api}/api/v0/{call}", timeout=30, **kwargs)


def add_lines(response: requests.Response) -> list[dict]:
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def kubo_error(response: requests.Response, status: int) -> str:
    """Kubo's error body: {"Message", "Code", "Type": "error"} (rpc/#http-status-codes), with the given status."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"Message", "Code", "Type"} and body["Type"] == "error", body
    assert body["Code"] == (0 if status == 500 else body["Code"])
    return str(body["Message"])


def test_add_accepts_a_part_without_content_type(stack) -> None:
    # rpc/#api-v0-add: the file is a multipart argument; Kubo reads a part without Content-Type as a file.
    # Python requests' default `files=` sends exactly that (js-ipfs answered 500 "No content-type in multipart part").
    response = rpc(stack, "add", params={"pin": "true"}, files={"file": ("blob.bin", io.BytesIO(HELLO))})
    [entry] = add_lines(response)
    assert entry == {"Name": "blob.bin", "Hash": HELLO_V0, "Size": "14"}  # v0 by default, Size a string, no Mode


def test_add_answers_kubo_fields_with_size_as_string(stack) -> None:
    # rpc/#api-v0-add response: {"Bytes", "Hash", "Mode", "Mtime", "MtimeNsecs", "Name", "Size"} where Size is a
    # string; Mode/Mtime appear only when the client preserves them. js-ipfs sent Size as a number and a Mode.
    files = {"file": ("h.txt", HELLO, "application/octet-stream")}
    [entry] = add_lines(rpc(stack, "add", params={"cid-version": "1"}, files=files))
    assert entry == {"Name": "h.txt", "Hash": HELLO_V1, "Size": "6"}


def test_cidv1_is_base32_everywhere_unless_cid_base_says_otherwise(stack) -> None:
    # Kubo prints CIDv1 in base32 by default (--cid-base, "default: base32" for v1); js-ipfs printed base58btc
    # from add?raw-leaves, pin/ls, pin/rm, block/stat and files/stat.
    [entry] = add_lines(rpc(stack, "add", params={"raw-leaves": "true"}, files={"file": ("h", HELLO)}))
    assert entry["Hash"] == HELLO_V1
    pins = rpc(stack, "pin/ls", params={"arg": HELLO_V1}).json()
    assert pins == {"Keys": {HELLO_V1: {"Type": "recursive"}}}  # rpc/#api-v0-pin-ls
    assert rpc(stack, "block/stat", params={"arg": HELLO_V1}).json() == {"Key": HELLO_V1, "Size": 6}
    stat = rpc(stack, "files/stat", params={"arg": f"/ipfs/{HELLO_V1}"}).json()  # rpc/#api-v0-files-stat
    assert stat["Hash"] == HELLO_V1 and stat["Type"] == "file" and stat["Size"] == 6
    # rpc/#api-v0-pin-ls: `cid-base` chooses the base of CIDv1 in the answer; CIDv0 stays "Qm…".
    by_base58 = rpc(stack, "pin/ls", params={"arg": HELLO_V1, "cid-base": "base58btc"}).json()
    assert by_base58 == {"Keys": {HELLO_V1_BASE58: {"Type": "recursive"}}}
    by_prefix = rpc(stack, "pin/ls", params={"arg": HELLO_V1, "cid-base": "z"}).json()  # a prefix names it too
    assert by_prefix == by_base58
    rpc(stack, "add", params={"pin": "true"}, files={"file": ("h", HELLO)})
    assert HELLO_V0 in rpc(stack, "pin/ls", params={"type": "recursive", "cid-base": "base32"}).json()["Keys"]


def test_pin_add_and_rm_answer_pins_in_base32(stack) -> None:
    # rpc/#api-v0-pin-add and #api-v0-pin-rm: {"Pins": ["<string>"]}.
    data = os.urandom(64)
    [entry] = add_lines(rpc(stack, "add", params={"cid-version": "1", "pin": "false"}, files={"file": ("x", data)}))
    cid = entry["Hash"]
    assert rpc(stack, "pin/add", params={"arg": cid}).json()["Pins"] == [cid]
    assert rpc(stack, "pin/rm", params={"arg": cid}).json() == {"Pins": [cid]}
    # Not pinned: Kubo answers 500 (the call exists, the node cannot do it) with the reason.
    assert "not pinned" in kubo_error(rpc(stack, "pin/ls", params={"arg": cid}), 500)


def test_cat_is_labelled_as_bytes_not_json(stack) -> None:
    # rpc/#api-v0-cat: "Response: This endpoint returns a `text/plain` response body." js-ipfs said application/json.
    rpc(stack, "add", params={"cid-version": "1"}, files={"file": ("h", HELLO)})
    response = rpc(stack, "cat", params={"arg": HELLO_V1})
    assert response.status_code == 200 and response.content == HELLO
    assert response.headers["Content-Type"].split(";")[0] in {"text/plain", "application/octet-stream"}


def test_dag_get_answers_dag_json_and_honours_output_codec(stack) -> None:
    # rpc/#api-v0-dag-get: `output-codec` "Format that the object will be encoded as. Default: dag-json."
    # A dag-pb node in dag-json: bytes as {"/": {"bytes": base64}}, links as {"/": cid}.
    files = [("file", ("d/a.txt", HELLO, "application/octet-stream")), ("file", ("d/b.txt", b"b", "text/plain"))]
    directory = add_lines(rpc(stack, "add", params={"cid-version": "1"}, files=files))[-1]["Hash"]
    node = rpc(stack, "dag/get", params={"arg": directory}).json()
    assert node["Data"] == {"/": {"bytes": "CAE"}}
    assert [(link["Name"], link["Hash"]) for link in node["Links"]] == [
        ("a.txt", {"/": HELLO_V1}),
        ("b.txt", node["Links"][1]["Hash"]),
    ]
    cbor = rpc(stack, "dag/get", params={"arg": directory, "output-codec": "dag-cbor"})
    assert cbor.status_code == 200 and cbor.content[:1] == b"\xa2"  # a CBOR map of two entries: Data, Links
    assert "output-codec" in kubo_error(rpc(stack, "dag/get", params={"arg": directory, "output-codec": "x"}), 400)


def test_config_show_never_returns_the_private_key(stack) -> None:
    # rpc/#api-v0-config-show: Kubo strips Identity.PrivKey ("cannot show or change private key through API").
    shown = rpc(stack, "config/show")
    assert shown.status_code == 200 and "PrivKey" not in shown.text and shown.json()["Identity"]["PeerID"]
    assert "private key" in kubo_error(rpc(stack, "config", params={"arg": "Identity.PrivKey"}), 400)
    assert "PrivKey" not in rpc(stack, "config", params={"arg": "Identity"}).text


def test_config_replace_keeps_the_node_identity(stack) -> None:
    # rpc/#api-v0-config-replace: Kubo keeps the private key and refuses one in the file. js-ipfs wrote the file as
    # given: config/show's answer (no PrivKey) replaced back left a repo that never started again.
    shown = rpc(stack, "config/show").json()
    assert rpc(stack, "config/replace", files={"file": ("config", json.dumps(shown))}).status_code == 200
    on_disk = json.loads(Path(stack.state_dir, "ipfs-repo", "config").read_text())
    assert on_disk["Identity"]["PrivKey"] and on_disk["Identity"]["PeerID"] == shown["Identity"]["PeerID"]
    with_key = json.dumps({**shown, "Identity": {"PeerID": "x", "PrivKey": "CAES"}})
    assert "private key" in kubo_error(rpc(stack, "config/replace", files={"file": ("c", with_key)}), 400)
    assert "private key" in kubo_error(rpc(stack, "config", params={"arg": ["Identity", "{}"], "json": "true"}), 400)
    assert json.loads(Path(stack.state_dir, "ipfs-repo", "config").read_text())["Identity"] == on_disk["Identity"]


@pytest.mark.parametrize(
    ("call", "params", "status"),
    [
        ("cat", {}, 400),  # a missing argument: "400 - Malformed RPC, argument type error" (rpc/#http-status-codes)
        ("cat", {"arg": "not-a-cid"}, 400),
        ("block/stat", {"arg": "QmZULk"}, 400),
        ("dag/get", {"arg": "QmZULk"}, 400),
        ("pin/ls", {"arg": "bafy-not-base32"}, 400),
        ("add", {"cid-version": "7"}, 400),
        ("pin/ls", {"cid-base": "base-nope"}, 400),  # go-multibase: "unsupported multibase encoding" (was ignored)
        ("pin/ls", {"cid-base": "constructor"}, 400),
        ("no/such/call", {}, 404),  # "404 - RPC endpoint doesn't exist"
    ],
)
def test_client_mistakes_are_kubo_errors_never_500(stack, call: str, params: dict, status: int) -> None:
    kubo_error(rpc(stack, call, params=params), status)


def test_get_is_405_and_an_absent_block_is_kubos_offline_error(stack) -> None:
    # "405 - HTTP Method Not Allowed": every RPC call is a POST.
    kubo_error(requests.get(f"{stack.ipfs_api}/api/v0/version", timeout=30), 405)
    # "500 - RPC endpoint returned an error": the call is fine, this offline node lacks the block; js-ipfs leaked
    # its repo path in the message.
    absent = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvykq"
    message = kubo_error(rpc(stack, "cat", params={"arg": absent}), 500)
    assert "not found locally" in message and "/" not in message.split(":", 1)[0]


def test_a_garbled_multipart_body_is_a_client_error(stack) -> None:
    headers = {"Content-Type": "multipart/form-data; boundary=zz"}
    kubo_error(rpc(stack, "add", data=b"garbage", headers=headers), 400)
    kubo_error(rpc(stack, "add", data=b"x", headers={"Content-Type": "multipart/form-data"}), 400)
    # A body cut before its closing delimiter: js-ipfs never answered.
    cut = b'--zz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc'
    kubo_error(requests.post(f"{stack.ipfs_api}/api/v0/add", data=cut, headers=headers, timeout=10), 400)


@pytest.mark.parametrize(
    ("chunker", "words"),
    [
        ("size-0", "must be greater than 0"),  # js-ipfs looped forever: the request hung, the node at 100 % CPU
        ("rabin-0", "must be greater than 0"),
        ("size-2000000", "maximum chunk size of 1048576"),
        ("size-abc", "unrecognized chunker option"),
    ],
)
def test_add_refuses_a_chunker_kubo_refuses(stack, chunker: str, words: str) -> None:
    # rpc/#api-v0-add `chunker`: "size-[bytes]", "rabin-[min]-[avg]-[max]" or "buzhash"; boxo/chunker refuses a
    # size of 0 and one above 1 MiB.
    files = {"file": ("h", HELLO)}
    refused = requests.post(f"{stack.ipfs_api}/api/v0/add", params={"chunker": chunker}, files=files, timeout=10)
    assert words in kubo_error(refused, 400)
    assert rpc(stack, "version").status_code == 200


def test_a_malformed_request_target_is_400_not_500(stack) -> None:
    host, port = stack.ipfs_api.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(b"POST http://[ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        status_line = connection.recv(4096).split(b"\r\n", 1)[0]
    assert status_line == b"HTTP/1.1 400 Bad Request"


KUBO_CLIENT = Path(__file__).with_name("kubo_client")


def kubo_rpc_client() -> Path:
    """The pinned kubo-rpc-client (tests/kubo_client/package-lock.json), installed by `npm ci` on first use."""
    if not (KUBO_CLIENT / "node_modules" / "kubo-rpc-client").is_dir():
        npm = shutil.which("npm")
        assert npm, "npm is needed for the kubo-rpc-client test (Node.js 20 ships it)"
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=KUBO_CLIENT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    return KUBO_CLIENT / "check.mjs"


def test_kubo_rpc_client_reads_kubo_answers(stack) -> None:
    # Kubo's own JS client (kubo-rpc-client 7.1.0) parses every answer into typed values: CIDs, sizes, pin types.
    script = kubo_rpc_client()
    node = shutil.which("node")
    assert node
    done = subprocess.run([node, str(script), stack.ipfs_api], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["add"] == {"cid": HELLO_V1, "size": 6, "path": HELLO_V1}
    assert seen["cat"] == HELLO.decode()
    assert seen["pins"] == [{"cid": HELLO_V1, "type": "recursive"}]
    assert seen["blockStat"] == {"cid": HELLO_V1, "size": 6}
    assert seen["filesStat"] == {"cid": HELLO_V1, "size": 6, "type": "file"}
    assert seen["dag"] == {"links": [["a.txt", HELLO_V1], ["b.txt", HELLO_V1]]}
    assert seen["privKey"] is False
    assert "not-a-cid" in seen["badCid"]
