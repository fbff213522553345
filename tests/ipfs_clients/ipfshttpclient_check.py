"""Drives an IPFS RPC API with ipfshttpclient (pinned in ipfshttpclient.txt beside this file, run in its own venv)
and prints one JSON object of what it saw; tests/test_kubo_conformance.py checks it. Usage: python … <api-url>

`Client(...)` is the documented way to skip the client's version check: 0.7.0 predates Kubo 0.8 and `connect()`
refuses any newer daemon (VersionMismatch) although the calls below are unchanged. Calls the client has no method
for (refs, cid/*, dag/stat, repo/verify) go through its own HTTP transport, `client._client.request`.
"""

import contextlib
import io
import json
import os
import sys
import tempfile

import ipfshttpclient

HELLO = b"hello\n"


def main(api: str) -> None:
    host, port = api.removeprefix("http://").rsplit(":", 1)
    client = ipfshttpclient.Client(f"/ip4/{host}/tcp/{port}/http")
    raw = client._client.request
    out = {}
    if "conformance-key" in [entry["Name"] for entry in client.key.list()["Keys"]]:  # a run cut short left them
        client.key.rm("conformance-key")
    if "conformance" in [entry["Name"] for entry in client.files.ls("/")["Entries"] or []]:
        client.files.rm("/conformance", recursive=True)
    out["add"] = client.add(io.BytesIO(HELLO))["Hash"]
    out["add_v1"] = client.add(io.BytesIO(HELLO), cid_version=1)["Hash"]
    out["add_only_hash"] = client.add(io.BytesIO(b"never stored"), only_hash=True)["Hash"]
    with tempfile.TemporaryDirectory() as tmp:
        os.mkdir(os.path.join(tmp, "d"))
        for name, data in (("a.txt", HELLO), ("b.txt", b"b\n")):
            with open(os.path.join(tmp, "d", name), "wb") as handle:
                handle.write(data)
        added = client.add(os.path.join(tmp, "d"), recursive=True, cid_version=1, pin=False)
        out["add_dir"] = [[entry["Name"], entry["Hash"]] for entry in added]
        root = added[-1]["Hash"]
        client.get(root, target=os.path.join(tmp, "got"))
        with open(os.path.join(tmp, "got", root, "a.txt"), "rb") as handle:
            out["get"] = handle.read().decode()
    out["cat"] = client.cat(out["add_v1"]).decode()
    out["ls"] = [[link["Name"], link["Hash"], link["Size"]] for link in client.ls(root)["Objects"][0]["Links"]]
    with contextlib.suppress(ipfshttpclient.exceptions.ErrorResponse):
        client.pin.rm(root)  # pinned by an earlier client on the same node
    other = client.add(io.BytesIO(b"other\n"), cid_version=1, pin=False)["Hash"]
    out["pin_add"] = client.pin.add(other)["Pins"]
    out["pin_ls"] = client.pin.ls(other)["Keys"]
    out["pin_update"] = client.pin.update(other, root)["Pins"]
    out["pin_verify"] = [dict(item) for item in client.pin.verify(root, verbose=True)]
    out["pin_rm"] = client.pin.rm(root)["Pins"]
    dag = client.dag.put(io.BytesIO(json.dumps({"hello": "world"}).encode()))
    out["dag_put"] = dag["Cid"]["/"]
    out["dag_get"] = client.dag.get(out["dag_put"])
    out["dag_stat"] = raw("/dag/stat", (out["dag_put"],), decoder="json")[-1]
    car = client.dag.export(out["dag_put"])
    out["dag_export_len"] = len(car)
    out["dag_import"] = client.dag.imprt(io.BytesIO(car))
    out["block_put"] = client.block.put(io.BytesIO(b"a block"))
    out["block_get"] = client.block.get(out["block_put"]["Key"]).decode()
    out["block_stat"] = client.block.stat(out["block_put"]["Key"])
    client.files.mkdir("/conformance/dir", parents=True)
    client.files.write("/conformance/dir/f.txt", io.BytesIO(HELLO), create=True)
    out["files_read"] = client.files.read("/conformance/dir/f.txt").decode()
    out["files_stat"] = dict(client.files.stat("/conformance/dir/f.txt"))
    client.files.cp("/conformance/dir/f.txt", "/conformance/copy.txt")
    client.files.mv("/conformance/copy.txt", "/conformance/moved.txt")
    out["files_ls"] = sorted(entry["Name"] for entry in client.files.ls("/conformance")["Entries"])
    client.files.rm("/conformance", recursive=True)
    out["files_ls_after_rm"] = client.files.ls("/")["Entries"] or []
    key = client.key.gen("conformance-key", "ed25519", size=256)  # the default size=2048 is for RSA
    out["key_gen"] = dict(key)
    out["key_list"] = [entry["Name"] for entry in client.key.list()["Keys"]]
    out["key_rm"] = [entry["Name"] for entry in client.key.rm("conformance-key")["Keys"]]
    published = client.name.publish(f"/ipfs/{root}", allow_offline=True)
    out["name_publish"] = dict(published)
    out["name_resolve"] = client.name.resolve(published["Name"])["Path"]
    out["resolve"] = client.resolve(f"/ipfs/{root}/a.txt")["Path"]
    out["refs"] = [item["Ref"] for item in raw("/refs", (root,), decoder="json")]
    stat = client.repo.stat()
    out["repo_stat"] = {key: type(stat[key]).__name__ for key in ("NumObjects", "RepoSize", "StorageMax")}
    out["repo_gc"] = bool(client.repo.gc())
    out["repo_verify"] = [item.get("Msg") for item in raw("/repo/verify", decoder="json")][-1]
    out["cid_format"] = raw("/cid/format", (out["add"],), opts={"v": "1", "b": "base32"}, decoder="json")[-1][
        "Formatted"
    ]
    out["cid_base32"] = raw("/cid/base32", (out["add"],), decoder="json")[-1]["Formatted"]
    out["version"] = client.version()["Version"]
    out["id"] = client.id()["ID"]
    out["self"] = published["Name"]
    print(json.dumps(out, default=dict))  # the client wraps answers in ResponseBase mappings


if __name__ == "__main__":
    main(sys.argv[1])
