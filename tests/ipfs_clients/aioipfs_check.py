"""Drives an IPFS RPC API with aioipfs (pinned in aioipfs.txt beside this file, run in its own venv) and prints one
JSON object of what it saw; tests/test_kubo_conformance.py checks it. Usage: python … <api-url>

aioipfs.txt pins aiohttp below 3.14: aioipfs 0.7.1 builds its multipart bodies with aiohttp internals that 3.14
changed (the client's own bug, not the node's).
"""

import asyncio
import contextlib
import json
import os
import sys
import tempfile

import aioipfs

HELLO = b"hello\n"


async def collect(generator) -> list:
    return [item async for item in generator]


async def main(api: str) -> None:
    host, port = api.removeprefix("http://").rsplit(":", 1)
    out: dict = {}
    async with aioipfs.AsyncIPFS(host=host, port=int(port)) as client:
        if "conformance-key" in [entry["Name"] for entry in (await client.key.list())["Keys"]]:
            await client.key.rm("conformance-key")  # a run cut short left it
        if "conformance" in [entry["Name"] for entry in (await client.files.ls("/"))["Entries"] or []]:
            await client.files.rm("/conformance", recursive=True)
        out["add"] = (await client.core.add_bytes(HELLO))["Hash"]
        out["add_v1"] = (await client.core.add_bytes(HELLO, cid_version=1))["Hash"]
        out["add_only_hash"] = (await client.core.add_bytes(b"never stored", only_hash=True))["Hash"]
        with tempfile.TemporaryDirectory() as tmp:
            os.mkdir(os.path.join(tmp, "d"))
            for name, data in (("a.txt", HELLO), ("b.txt", b"b\n")):
                with open(os.path.join(tmp, "d", name), "wb") as handle:
                    handle.write(data)
            added = await collect(client.core.add(os.path.join(tmp, "d"), recursive=True, cid_version=1, pin=False))
            out["add_dir"] = [[entry["Name"], entry["Hash"]] for entry in added]
            root = added[-1]["Hash"]
            await client.core.get(root, dstdir=os.path.join(tmp, "got"))
            with open(os.path.join(tmp, "got", root, "a.txt"), "rb") as handle:
                out["get"] = handle.read().decode()
        out["cat"] = (await client.core.cat(out["add_v1"])).decode()
        listed = await client.core.ls(root)
        out["ls"] = [[link["Name"], link["Hash"], link["Size"]] for link in listed["Objects"][0]["Links"]]
        with contextlib.suppress(aioipfs.APIError):
            await client.pin.rm(root)  # pinned by an earlier client on the same node
        other = (await client.core.add_bytes(b"other\n", cid_version=1, pin=False))["Hash"]
        out["pin_add"] = [entry async for entry in client.pin.add(other)][-1]["Pins"]
        out["pin_ls"] = (await client.pin.ls(other))["Keys"]
        out["pin_update"] = (await client.pin.update(other, root))["Pins"]
        out["pin_verify"] = await client.pin.verify(quiet=True)
        out["pin_rm"] = (await client.pin.rm(root))["Pins"]
        with tempfile.NamedTemporaryFile("w", suffix=".json") as node:
            json.dump({"hello": "world"}, node)
            node.flush()
            out["dag_put"] = (await client.dag.put(node.name))["Cid"]["/"]
        out["dag_get"] = json.loads(await client.dag.get(out["dag_put"]))
        out["dag_stat"] = [entry async for entry in client.dag.stat(out["dag_put"], progress=False)][-1]
        car = await client.dag.car_export(out["dag_put"])
        out["dag_export_len"] = len(car)
        with tempfile.NamedTemporaryFile(suffix=".car") as car_file:
            car_file.write(car)
            car_file.flush()
            out["dag_import"] = await client.dag.car_import(car_file.name)
        with tempfile.NamedTemporaryFile() as block:
            block.write(b"a block")
            block.flush()
            out["block_put"] = await client.block.put(block.name)
        out["block_get"] = (await client.block.get(out["block_put"]["Key"])).decode()
        out["block_stat"] = await client.block.stat(out["block_put"]["Key"])
        await client.files.mkdir("/conformance/dir", parents=True)
        await client.files.write("/conformance/dir/f.txt", HELLO, create=True)
        out["files_read"] = (await client.files.read("/conformance/dir/f.txt")).decode()
        out["files_stat"] = await client.files.stat("/conformance/dir/f.txt")
        await client.files.cp("/conformance/dir/f.txt", "/conformance/copy.txt")
        await client.files.mv("/conformance/copy.txt", "/conformance/moved.txt")
        out["files_ls"] = sorted(entry["Name"] for entry in (await client.files.ls("/conformance"))["Entries"])
        await client.files.rm("/conformance", recursive=True)
        out["files_ls_after_rm"] = (await client.files.ls("/"))["Entries"] or []
        out["key_gen"] = await client.key.gen("conformance-key", type="ed25519", size=256)  # default 2048: for RSA
        out["key_list"] = [entry["Name"] for entry in (await client.key.list())["Keys"]]
        out["key_rm"] = [entry["Name"] for entry in (await client.key.rm("conformance-key"))["Keys"]]
        out["name_publish"] = await client.name.publish(f"/ipfs/{root}", allow_offline=True)
        out["name_resolve"] = (await client.name.resolve(out["name_publish"]["Name"]))["Path"]
        out["resolve"] = (await client.core.resolve(f"/ipfs/{root}/a.txt"))["Path"]
        try:
            out["refs"] = await client.refs.refs(root)
        except json.JSONDecodeError as exc:  # its refs() reads Kubo's one-JSON-per-line answer as one document
            out["refs_client_bug"] = str(exc)
        stat = await client.repo.stat()
        out["repo_stat"] = {key: type(stat[key]).__name__ for key in ("NumObjects", "RepoSize", "StorageMax")}
        out["repo_gc"] = bool([entry async for entry in client.repo.gc()] or True)
        try:
            out["repo_verify"] = await client.repo.verify()
        except json.JSONDecodeError as exc:  # the same: Kubo streams one progress object per line
            out["repo_verify_client_bug"] = str(exc)
        out["cid_format"] = (await client.cid.format(out["add"], version=1, multibase="base32"))["Formatted"]
        out["cid_base32"] = (await client.cid.base32(out["add"]))["Formatted"]
        out["version"] = (await client.core.version())["Version"]
        out["id"] = (await client.core.id())["ID"]
        out["self"] = out["name_publish"]["Name"]
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
