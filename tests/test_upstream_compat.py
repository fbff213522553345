"""Upstream HologramFire's own calls against the embedded stack: the same HTTP requests, headers and argument
shapes its tests send (not its test code), each citing the upstream file it comes from
(github.com/humuhumu33/HologramFire at 98763e2).

Upstream's clients use Python `requests` with its defaults: multipart parts without a Content-Type, the token sent
verbatim as the Authorization header (documented as GRAPHQL_TOKEN="Bearer <token>"), and "skip if unsupported"
paths that expect HTTP 200 with `errors`.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import uuid
from pathlib import Path

import pytest
import requests

from hologram_lib import atlas
from hologram_lib.clients import IpfsClient
from hologram_lib.devstack import stack as devstack
from hologram_lib.devstack.unixfs import content_bytes
from tests.helpers import hologram, stack_token

CONTENT_FIELDS = """id name encoding data
  witness { id proof verificationTime isValid
    conservationProof { pageConservation cycleConservation kleinProbes
      r96Classification { inputClass outputClass compressionRatio isValid } } }
  metadata { createdAt updatedAt size mimeType checksum
    atlas12288 { page cycle r96Class kleinWindow conservationHash } }"""


def upstream_add(ipfs_api: str, filename: str, data: bytes) -> str:
    """tests/phase8_e2e/test_e2e_strict.py `_ipfs_add`: requests' default multipart, the last JSON line's Hash."""
    files = {"file": (filename, io.BytesIO(data))}
    r = requests.post(f"{ipfs_api.rstrip('/')}/api/v0/add", params={"pin": "true"}, files=files, timeout=30)
    r.raise_for_status()
    return json.loads(r.text.strip().splitlines()[-1])["Hash"]


def upstream_gql(url: str, query: str, variables: dict, token: str | None) -> requests.Response:
    """tests/phase8_e2e/test_e2e_strict.py `_gql`: GRAPHQL_TOKEN sent verbatim as `authorization`."""
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = token
    return requests.post(url, headers=headers, json={"query": query, "variables": variables}, timeout=30)


def data_of(response: requests.Response) -> dict:
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


@pytest.fixture(scope="module")
def upstream_token(stack) -> str:
    """GRAPHQL_TOKEN as `hologram stack up` exports it: the `Bearer <token>` form upstream documents."""
    return f"Bearer {stack_token(stack)}"


def test_conftest_ipfs_client_round_trip(stack) -> None:
    # tests/conftest.py `ipfs_client.add_bytes` / `cat` / `pin_ls`; tests/phase4_network/test_ipfs_ctp96.py
    data = b"\x00\xff" * 64
    files = {"file": ("blob.bin", data)}
    added = requests.post(f"{stack.ipfs_api}/api/v0/add", files=files, params={"pin": "true"}, timeout=30)
    cid = added.json()["Hash"]  # conftest reads r.json(): one JSON object for one file
    assert requests.post(f"{stack.ipfs_api}/api/v0/cat", params={"arg": cid}, timeout=30).content == data
    # conftest's pin_ls uses GET; Kubo answers 405 to GET and conftest turns any failure into {} (test passes)
    assert requests.get(f"{stack.ipfs_api}/api/v0/pin/ls", params={"arg": cid}, timeout=30).status_code == 405
    tampered = upstream_add(stack.ipfs_api, "blob.bin", bytes([data[0] ^ 1]) + data[1:])
    assert tampered != cid  # tests/phase8_e2e/test_e2e_publish_install.py tamper-negative


def test_strict_publish_with_the_manifest_sha256(stack, upstream_token: str) -> None:
    # tests/phase8_e2e/test_e2e_strict.py: content CID + manifest CID + the *manifest's* sha256
    unique = uuid.uuid4().hex[:8]
    name = f"docs/strict-{unique}"
    content = f"Strict E2E demo {unique} @ {int(time.time())}\n".encode()
    cid_file = upstream_add(stack.ipfs_api, "demo.txt", content)
    manifest = {
        "name": name,
        "kind": "document",
        "mime": "text/plain",
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "cid": cid_file,
        "version": 1,
        "ts": int(time.time()),
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    cid_manifest = upstream_add(stack.ipfs_api, "manifest.json", manifest_bytes)
    mutation = """mutation Publish($name:String!, $cid:String!, $manifestCid:String!, $sha256:String!) {
      publishApp(name:$name, cid:$cid, manifestCid:$manifestCid, sha256:$sha256) { ok name cid manifestCid } }"""
    variables = {"name": name, "cid": cid_file, "manifestCid": cid_manifest}
    published = upstream_gql(
        stack.graphql_url, mutation, {**variables, "sha256": hashlib.sha256(manifest_bytes).hexdigest()}, upstream_token
    )
    assert data_of(published)["publishApp"] == {"ok": True, **variables}
    query = """query Resolve($name:String!) { resolve(name:$name) {
      name cid manifestCid encoding proofs { merkleRoot witnesses } } }"""
    first = data_of(upstream_gql(stack.graphql_url, query, {"name": name}, upstream_token))["resolve"]
    assert first["cid"] == cid_file and first["manifestCid"] == cid_manifest and first["encoding"]
    assert first["proofs"]["merkleRoot"] and first["proofs"]["witnesses"]
    assert data_of(upstream_gql(stack.graphql_url, query, {"name": name}, upstream_token))["resolve"] == first
    # A digest of neither the content nor the manifest is still refused.
    wrong = upstream_gql(stack.graphql_url, mutation, {**variables, "name": name + "-x", "sha256": "0" * 64}, None)
    assert wrong.json()["errors"][0]["extensions"]["code"] in {"UNAUTHENTICATED", "BAD_USER_INPUT"}
    refused = upstream_gql(
        stack.graphql_url, mutation, {**variables, "name": name + "-x", "sha256": "0" * 64}, upstream_token
    )
    assert "matches neither" in refused.json()["errors"][0]["message"]


def test_a_manifest_naming_other_content_is_refused(stack, upstream_token: str) -> None:
    content = uuid.uuid4().bytes
    cid_file = upstream_add(stack.ipfs_api, "a.bin", content)
    other = upstream_add(stack.ipfs_api, "b.bin", b"other " + content)
    manifest_bytes = json.dumps({"cid": other, "sha256": hashlib.sha256(content).hexdigest()}).encode()
    cid_manifest = upstream_add(stack.ipfs_api, "manifest.json", manifest_bytes)
    mutation = """mutation($n:String!,$c:String!,$m:String!,$s:String!){
      publishApp(name:$n,cid:$c,manifestCid:$m,sha256:$s){ ok } }"""
    variables = {"n": f"docs/x-{uuid.uuid4().hex[:6]}", "c": cid_file, "m": cid_manifest}
    response = upstream_gql(
        stack.graphql_url, mutation, {**variables, "s": hashlib.sha256(manifest_bytes).hexdigest()}, upstream_token
    )
    assert "names another content CID" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("form", ["Bearer {}", "bearer {}", "BEARER {}", "{}"])
def test_the_token_with_or_without_the_scheme_in_any_case(stack, form: str) -> None:
    # tests/phase8_e2e/test_e2e_strict.py sends GRAPHQL_TOKEN verbatim; its header comment documents "Bearer <token>"
    cid = upstream_add(stack.ipfs_api, "t.txt", uuid.uuid4().bytes)
    mutation = "mutation($n:String!,$c:String!){ publishApp(name:$n, cid:$c){ ok } }"
    variables = {"n": f"test/token-{uuid.uuid4().hex[:8]}", "c": cid}
    accepted = upstream_gql(stack.graphql_url, mutation, variables, form.format(stack_token(stack)))
    assert data_of(accepted)["publishApp"] == {"ok": True}
    refused = upstream_gql(stack.graphql_url, mutation, variables, form.format("wrong-token"))
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_resolution_proof_chain_and_inverse_resolve(stack) -> None:
    # tests/phase5_graphql/test_graphql_resolution.py, through tests/conftest.py's GraphQLClient (no token)
    name = "demo/object/alpha"
    q = "query($n:String!){ resolve(name:$n){ encoding proofChain { layer hash valid } } }"
    resolved = data_of(upstream_gql(stack.graphql_url, q, {"n": name}, None))["resolve"]
    chain = resolved["proofChain"]
    assert chain and all(step["valid"] is True for step in chain) and chain[-1]["layer"] == "merkleRoot"
    inverse = "query($e:String!){ inverseResolve(encoding:$e){ name } }"
    back = data_of(upstream_gql(stack.graphql_url, inverse, {"e": resolved["encoding"]}, None))["inverseResolve"]
    assert back == {"name": name}
    spaced = json.dumps(json.loads(resolved["encoding"]), indent=2)  # the same descriptor, formatted otherwise
    assert data_of(upstream_gql(stack.graphql_url, inverse, {"e": spaced}, None))["inverseResolve"] == back


def test_negatives_get_200_with_errors_for_the_skip_path(stack) -> None:
    # tests/phase5_graphql/test_graphql_negatives.py: an unknown name resolves to null; a field the server lacks
    # must be 200 + errors so that conftest's raise_for_status passes and the test skips.
    q = "query($n:String!){ resolve(name:$n){ encoding } }"
    assert data_of(upstream_gql(stack.graphql_url, q, {"n": "does/not/exist/"}, None))["resolve"] is None
    lacking = upstream_gql(stack.graphql_url, "{ noSuchField { valid } }", {}, None)
    assert lacking.status_code == 200 and lacking.json()["errors"]
    # Its tamper test: the first proofChain hash with its last character flipped must verify as invalid.
    chain_query = "query($n:String!){ resolve(name:$n){ proofChain { layer hash valid } } }"
    chain = data_of(upstream_gql(stack.graphql_url, chain_query, {"n": "demo/object/alpha"}, None))["resolve"]
    h = chain["proofChain"][0]["hash"]
    bad_hash = h[:-1] + ("0" if h[-1] != "0" else "1")
    qv = "query($n:String!, $h:String!){ verifyProof(name:$n, tamperedHash:$h){ valid } }"
    for given, valid in ((bad_hash, False), (h, True)):
        answer = data_of(upstream_gql(stack.graphql_url, qv, {"n": "demo/object/alpha", "h": given}, None))
        assert answer["verifyProof"] == {"valid": valid}
    assert data_of(upstream_gql(stack.graphql_url, qv, {"n": "does/not/exist", "h": h}, None))["verifyProof"] is None
    # tests/phase9_chaos/test_chaos_resilience.py: introspection over POST answers 200
    schema = upstream_gql(stack.graphql_url, "{ __schema { types { name } } }", {}, None)
    assert schema.status_code == 200 and schema.json()["data"]["__schema"]["types"]


def test_content_api_of_the_strict_graphql_only_suite(stack, upstream_token: str) -> None:
    # tests/phase8_e2e/test_e2e_strict_graphql_only.py (its storeContent/resolveContent selections, verbatim fields)
    unique = uuid.uuid4().hex[:8]
    name = f"test-content-{unique}"
    content = f"GraphQL-only E2E test content {unique} @ {int(time.time())}"
    store = f"""mutation StoreContent($name:String!, $data:String!, $mimeType:String) {{
      storeContent(name:$name, data:$data, mimeType:$mimeType) {{ {CONTENT_FIELDS} }} }}"""
    stored = data_of(
        upstream_gql(
            stack.graphql_url, store, {"name": name, "data": content, "mimeType": "text/plain"}, upstream_token
        )
    )["storeContent"]
    assert stored["name"] == name and stored["data"] == content and stored["encoding"]
    assert stored["witness"]["isValid"] is True and stored["metadata"]["size"] == len(content)
    proof = stored["witness"]["conservationProof"]
    assert proof["pageConservation"] is True and proof["cycleConservation"] is True and proof["kleinProbes"] == [True]
    state = atlas.encode(content.encode())
    assert stored["witness"]["proof"] == atlas.merkle_root(atlas.witnesses(state))  # recomputable by a client
    assert stored["metadata"]["checksum"] == hashlib.sha256(content.encode()).hexdigest()

    resolve = f"query ResolveContent($name:String!) {{ resolveContent(name:$name) {{ {CONTENT_FIELDS} }} }}"
    resolved = data_of(upstream_gql(stack.graphql_url, resolve, {"name": name}, upstream_token))["resolveContent"]
    assert resolved["id"] == stored["id"] and resolved["encoding"] == stored["encoding"]

    stats_query = """query { resolutionStats { totalContent totalResolutions averageResolutionTime
      conservationViolations bijectionIntegrity } }"""
    stats = data_of(upstream_gql(stack.graphql_url, stats_query, {}, upstream_token))["resolutionStats"]
    assert stats["totalContent"] >= 1 and stats["totalResolutions"] >= 1 and stats["conservationViolations"] == 0
    assert 0 <= stats["bijectionIntegrity"] <= 1 and isinstance(stats["averageResolutionTime"], float)

    search = """query SearchContent($mimeType:String, $limit:Int) {
      searchContent(mimeType:$mimeType, limit:$limit) { id name encoding data metadata { mimeType size } } }"""
    hits = data_of(upstream_gql(stack.graphql_url, search, {"mimeType": "text/plain", "limit": 5}, upstream_token))
    assert any(hit["name"] == name for hit in hits["searchContent"])

    updated_text = f"Updated content {unique}"
    update = """mutation UpdateContent($id:String!, $data:String!) {
      updateContent(id:$id, data:$data) { id name encoding data metadata { updatedAt size } } }"""
    updated = data_of(
        upstream_gql(stack.graphql_url, update, {"id": stored["id"], "data": updated_text}, upstream_token)
    )["updateContent"]
    assert updated["id"] == stored["id"] and updated["data"] == updated_text
    assert updated["metadata"]["size"] == len(updated_text)

    delete = "mutation DeleteContent($id:String!) { deleteContent(id:$id) }"
    assert data_of(upstream_gql(stack.graphql_url, delete, {"id": stored["id"]}, upstream_token)) == {
        "deleteContent": True
    }
    assert data_of(upstream_gql(stack.graphql_url, resolve, {"name": name}, upstream_token))["resolveContent"] is None
    gone = data_of(upstream_gql(stack.graphql_url, delete, {"id": stored["id"]}, upstream_token))
    assert gone == {"deleteContent": False}


def test_content_mutations_need_the_token(stack) -> None:
    store = 'mutation { storeContent(name: "x", data: "y") { id } }'
    refused = upstream_gql(stack.graphql_url, store, {}, None)
    assert refused.status_code == 200 and refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_upsert_object_with_content_as_the_seed_script_sends_it(stack, upstream_token: str) -> None:
    # scripts/seed_graphql_demo.py: upsertObject(name, content){ name }
    q = "mutation($name:String!, $content:String!){ upsertObject(name:$name, content:$content){ name cid } }"
    name = f"demo/object/seed-{uuid.uuid4().hex[:6]}"
    seeded = data_of(upstream_gql(stack.graphql_url, q, {"name": name, "content": "Hello Hologram"}, upstream_token))
    with IpfsClient(stack.ipfs_api) as ipfs:
        assert ipfs.cat(seeded["upsertObject"]["cid"]) == b"Hello Hologram"
    both = """mutation { upsertObject(name: "a", cid: "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN", content: "x")
      { name } }"""
    assert "exactly one" in upstream_gql(stack.graphql_url, both, {}, upstream_token).json()["errors"][0]["message"]


def test_a_directory_cid_is_published_as_an_app(stack, upstream_token: str) -> None:
    # tests/phase8_e2e/test_e2e_load_integration.py adds f"{name}.bin" and f"{name}-manifest.json" with name
    # "load-test/…": Kubo's add of a path with "/" answers the file, then the wrapping directory, and upstream takes
    # the last line. It publishes both directory CIDs with the manifest file's sha256; the manifest declares the
    # content file's sha256. A directory of one file stands for that file.
    name = f"load-test/worker-0-op-0-{uuid.uuid4().hex[:8]}"
    content = bytes(i % 256 for i in range(20_000))
    directory = upstream_add(stack.ipfs_api, f"{name}.bin", content)
    sha = hashlib.sha256(content).hexdigest()
    manifest = json.dumps({"name": name, "sha256": sha, "cid": directory}, sort_keys=True, separators=(",", ":"))
    manifest_dir = upstream_add(stack.ipfs_api, f"{name}-manifest.json", manifest.encode())
    assert directory.startswith("Qm") and manifest_dir != directory
    mutation = """mutation Publish($name:String!, $cid:String!, $manifestCid:String!, $sha256:String!) {
      publishApp(name:$name, cid:$cid, manifestCid:$manifestCid, sha256:$sha256) { ok cid sha256 } }"""
    variables = {"name": name, "cid": directory, "manifestCid": manifest_dir}
    published = data_of(
        upstream_gql(
            stack.graphql_url,
            mutation,
            {**variables, "sha256": hashlib.sha256(manifest.encode()).hexdigest()},
            upstream_token,
        )
    )
    assert published["publishApp"] == {"ok": True, "cid": directory, "sha256": sha}
    q = "query($n:String!){ resolve(name:$n){ proofs { merkleRoot } } }"
    root = data_of(upstream_gql(stack.graphql_url, q, {"n": name}, None))["resolve"]["proofs"]["merkleRoot"]
    assert root == atlas.merkle_root(atlas.witnesses(atlas.encode(content)))


def test_a_directory_of_several_files_is_encoded_as_its_archive(stack) -> None:
    files = [("file", ("app/b.txt", b"bee", "text/plain")), ("file", ("app/a.txt", b"ay", "text/plain"))]
    response = requests.post(f"{stack.ipfs_api}/api/v0/add", files=files, params={"pin": "true"}, timeout=30)
    directory = json.loads(response.text.strip().splitlines()[-1])["Hash"]
    with IpfsClient(stack.ipfs_api) as ipfs:
        assert content_bytes(ipfs, directory) == b"a.txt\x002\x00ay" + b"b.txt\x003\x00bee"


def test_stack_up_open_serves_mutations_without_a_token(tmp_path: Path) -> None:
    # tests/conftest.py's GraphQLClient sends no token; tests/phase8_e2e/test_e2e_publish_install.py publishes
    # through it: `hologram stack up --open` is the explicit, loud opt-in for such suites.
    state = tmp_path / "open-stack"
    up = hologram("stack", "up", "--open", "--state-dir", str(state), cwd=tmp_path)
    try:
        assert up.returncode == 0, up.stderr
        assert "WARNING: --open" in up.stderr and "unset GRAPHQL_TOKEN" in up.stdout
        info = devstack.status(state)
        assert info is not None and info.open_mutations
        assert info.graphql_url.startswith("http://127.0.0.1:")
        cid = upstream_add(info.ipfs_api, "blob.bin", uuid.uuid4().bytes)
        mutation = "mutation($cid:String!,$name:String!){ publishApp(cid:$cid,name:$name){ id cid name } }"
        name = f"demo/app/hello-{uuid.uuid4().hex[:8]}"
        published = data_of(upstream_gql(info.graphql_url, mutation, {"cid": cid, "name": name}, None))
        assert published["publishApp"] == {"id": f"{name}@1", "cid": cid, "name": name}
        # A plain `stack up` on the same state restarts it with the token required again.
        closed = hologram("stack", "up", "--state-dir", str(state), cwd=tmp_path)
        assert closed.returncode == 0 and "WARNING" not in closed.stderr
        reopened = devstack.status(state)
        assert reopened is not None and not reopened.open_mutations
        again = upstream_gql(reopened.graphql_url, mutation, {"cid": cid, "name": name + "-2"}, None)
        assert again.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    finally:
        devstack.down(state)


def test_python_gql_with_introspection_validates_upstream_queries_locally(stack, upstream_token: str) -> None:
    # A third-party client: gql fetches the schema by introspection and validates each document against it before
    # sending — upstream's queries (tests/phase5_graphql, tests/phase8_e2e/test_e2e_strict_graphql_only.py) must
    # validate against the served SDL, kleinProbes as a leaf included.
    from gql import Client, GraphQLRequest
    from gql.transport.requests import RequestsHTTPTransport

    transport = RequestsHTTPTransport(url=stack.graphql_url, headers={"Authorization": upstream_token}, timeout=30)
    with Client(transport=transport, fetch_schema_from_transport=True) as session:
        proof = "query($n:String!){ resolve(name:$n){ encoding proofChain { layer hash valid } } }"
        resolved = session.execute(GraphQLRequest(proof, variable_values={"n": "demo/object/alpha"}))
        assert resolved["resolve"]["proofChain"][-1]["layer"] == "merkleRoot"
        name = f"test-content-{uuid.uuid4().hex[:8]}"
        store = f"mutation($n:String!,$d:String!){{ storeContent(name:$n, data:$d) {{ {CONTENT_FIELDS} }} }}"
        stored = session.execute(GraphQLRequest(store, variable_values={"n": name, "d": "gql"}))
        assert stored["storeContent"]["witness"]["conservationProof"]["kleinProbes"] == [True]
        assert session.client.schema is not None and session.client.schema.get_type("ProofStep") is not None
