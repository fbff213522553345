"""The embedded stack against its contract: a real Kubo daemon, the real GraphQL marketplace, a real SQLite file."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from hologram_lib import atlas
from hologram_lib.clients import IpfsClient
from hologram_lib.devstack import stack as devstack
from hologram_lib.errors import StackError
from tests.helpers import hologram, perf_collect, stack_token

PUBLISH = """mutation($n:String!,$c:String!,$m:String,$s:String,$v:String){
  publishApp(name:$n, cid:$c, manifestCid:$m, sha256:$s, version:$v){ ok id name cid manifestCid } }"""
RESOLVE = "query($n:String!){ resolve(name:$n){ name cid manifestCid encoding proofs { merkleRoot witnesses } } }"


def gql(info, query: str, variables: dict | None = None, token: str | None = "stack") -> requests.Response:
    headers = {}
    if token == "stack":
        headers["Authorization"] = f"Bearer {stack_token(info)}"
    elif token:
        headers["Authorization"] = token
    return requests.post(
        info.graphql_url, json={"query": query, "variables": variables or {}}, headers=headers, timeout=30
    )


def error_code(response: requests.Response) -> str:
    assert response.status_code == 200, response.text  # an execution error, not a malformed request
    errors = response.json()["errors"]
    return errors[0]["extensions"]["code"]


def add(info, data: bytes) -> str:
    with IpfsClient(info.ipfs_api) as client:
        return client.add(data)


def unique(prefix: str = "test/app") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize(
    ("data", "v0", "v1"),
    [
        (
            b"hello\n",
            "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN",
            "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am",
        ),
        (
            b"",
            "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH",
            "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
        ),
    ],
)
def test_node_returns_kubo_cids(stack, data: bytes, v0: str, v1: str) -> None:
    with IpfsClient(stack.ipfs_api) as client:
        assert client.add(data, cid_version=0) == v0
        assert client.add(data, cid_version=1) == v1
        assert client.cat(v1) == data


def test_publish_resolve_search_round_trip(stack) -> None:
    content = os.urandom(30_000)  # three grids
    cid = add(stack, content)
    name = unique()
    published = gql(stack, PUBLISH, {"n": name, "c": cid, "s": hashlib.sha256(content).hexdigest()}).json()
    assert published["data"]["publishApp"] == {
        "ok": True,
        "id": f"{name}@1",
        "name": name,
        "cid": cid,
        "manifestCid": None,
    }
    resolved = gql(stack, RESOLVE, {"n": name}, token=None).json()["data"]["resolve"]
    assert resolved["cid"] == cid
    assert json.loads(resolved["encoding"]) == {
        "scheme": "atlas-12288",
        "grids": 3,
        "length": 30_000,
        "merkleRoot": resolved["proofs"]["merkleRoot"],
    }
    witnesses = atlas.witnesses(atlas.encode(content))  # recomputed from our own bytes
    assert resolved["proofs"] == {"merkleRoot": atlas.merkle_root(witnesses), "witnesses": witnesses}
    hits = gql(stack, "query($q:String!){ searchApps(q:$q){ name cid } }", {"q": name[-8:].upper()}, None).json()
    assert hits["data"]["searchApps"] == [{"name": name, "cid": cid}]
    again = gql(stack, PUBLISH, {"n": name, "c": cid}).json()  # same name and CID: idempotent
    assert again["data"]["publishApp"]["id"] == f"{name}@1"


def test_install_and_uninstall(stack) -> None:
    name = unique()
    gql(stack, PUBLISH, {"n": name, "c": add(stack, b"app bytes")})
    install = gql(stack, "mutation($n:String!){ installApp(name:$n){ name status } }", {"n": name}).json()
    assert install["data"]["installApp"] == {"name": name, "status": "installed"}
    removed = gql(stack, "mutation($n:String!){ uninstallApp(name:$n){ name status } }", {"n": name}).json()
    assert removed["data"]["uninstallApp"]["status"] == "uninstalled"
    unknown = gql(stack, "mutation($n:String!){ installApp(name:$n){ status } }", {"n": unique()})
    assert error_code(unknown) == "NOT_FOUND"


def test_versions_and_conflicts(stack) -> None:
    name = unique()
    first, second = add(stack, b"version one"), add(stack, b"version two")
    assert gql(stack, PUBLISH, {"n": name, "c": first}).json()["data"]["publishApp"]["ok"]
    conflict = gql(stack, PUBLISH, {"n": name, "c": second})
    assert error_code(conflict) == "CONFLICT" and "new version" in conflict.json()["errors"][0]["message"]
    assert gql(stack, RESOLVE, {"n": name}).json()["data"]["resolve"]["cid"] == first
    assert gql(stack, PUBLISH, {"n": name, "c": second, "v": "2"}).json()["data"]["publishApp"]["id"] == f"{name}@2"
    assert gql(stack, RESOLVE, {"n": name}).json()["data"]["resolve"]["cid"] == second


@pytest.mark.parametrize(
    ("name", "cid", "expected"),
    [
        ("", None, "expected a non-empty name"),
        ("x" * 129, None, "at most 128 characters"),
        ("bad\x07name", None, "control characters"),
        ("ok/name", "not-a-cid", "cid: not a valid CID"),
        ("ok/name", "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6a", "cid: not a valid CID"),
    ],
)
def test_bad_input_is_rejected_and_nothing_stored(stack, name: str, cid: str | None, expected: str) -> None:
    response = gql(stack, PUBLISH, {"n": name, "c": cid or add(stack, b"valid content")})
    assert error_code(response) == "BAD_USER_INPUT"
    assert expected in response.json()["errors"][0]["message"]
    if name:
        assert gql(stack, RESOLVE, {"n": name}).json()["data"]["resolve"] is None


def test_cid_the_node_does_not_have(stack) -> None:
    name = unique()
    missing = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"  # sha256 of bytes never added
    response = gql(stack, PUBLISH, {"n": name, "c": missing})
    assert error_code(response) == "NOT_FOUND" and "cannot provide" in response.json()["errors"][0]["message"]
    assert gql(stack, RESOLVE, {"n": name}).json()["data"]["resolve"] is None


def test_sha256_must_match_the_content(stack) -> None:
    response = gql(stack, PUBLISH, {"n": unique(), "c": add(stack, b"abc"), "s": "0" * 64})
    assert error_code(response) == "BAD_USER_INPUT" and "sha256" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("token", [None, "Bearer wrong", "Basic abc"])
def test_mutation_without_valid_token_is_refused(stack, token: str | None) -> None:
    name = unique()
    response = gql(stack, PUBLISH, {"n": name, "c": add(stack, b"x")}, token=token)
    assert error_code(response) == "UNAUTHENTICATED"
    assert gql(stack, RESOLVE, {"n": name}).json()["data"]["resolve"] is None


def test_malformed_documents_get_graphql_errors(stack) -> None:
    # GraphQL over HTTP: 200 with `errors` for application/json (upstream's "skip if unsupported" path relies on it)
    syntax = requests.post(stack.graphql_url, json={"query": "{ resolve(name: "}, timeout=10)
    assert syntax.status_code == 200 and syntax.json()["errors"][0]["message"].startswith("Syntax Error")
    assert syntax.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    unknown = requests.post(stack.graphql_url, json={"query": "{ nope }"}, timeout=10)
    assert unknown.status_code == 200 and "Cannot query field 'nope'" in unknown.json()["errors"][0]["message"]
    not_json = requests.post(stack.graphql_url, data="{{{", headers={"Content-Type": "application/json"}, timeout=10)
    assert not_json.status_code == 400 and not_json.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_introspection_is_on_by_default(stack) -> None:
    schema = gql(stack, "{ __schema { mutationType { fields { name } } } }", token=None).json()
    names = {f["name"] for f in schema["data"]["__schema"]["mutationType"]["fields"]}
    assert {"publishApp", "installApp", "uninstallApp", "upsertObject"} <= names


def test_demo_object_is_seeded_for_the_perf_suite(stack) -> None:
    resolved = gql(stack, RESOLVE, {"n": "demo/object/alpha"}, token=None).json()["data"]["resolve"]
    assert resolved["encoding"] and resolved["cid"].startswith("bafk")


def test_perf_ipfs_and_graphql_suites_against_the_stack(stack, tmp_path: Path) -> None:
    perf_dir = tmp_path / "perf"
    env = {
        "IPFS_API": stack.ipfs_api,
        "GRAPHQL_URL": stack.graphql_url,
        "GRAPHQL_TOKEN": stack_token(stack),
        "SLO_GQL_P95_MS": "5000",
    }
    done = perf_collect(perf_dir, "ipfs", "graphql", samples=80, env=env)
    assert done.returncode == 0, done.stderr
    summary = (perf_dir / "ipfs_perf.csv").read_text()
    assert "ipfs,add_ms," in summary and "ipfs,cat_ms," in summary
    assert ",240,,3," in (perf_dir / "graphql_perf.csv").read_text()  # 3 runs of 80
    assert stack_token(stack) not in done.stdout + done.stderr + summary


class TestLifecycle:
    """Each test here runs its own stack (fresh state directory) so restarts do not disturb the others."""

    def test_second_stack_picks_other_ports_and_down_stops_only_its_own(self, stack, tmp_path: Path) -> None:
        other = devstack.up(tmp_path / "other", reports_dir=tmp_path / "reports")
        try:
            assert other.ipfs_api != stack.ipfs_api and other.graphql_url != stack.graphql_url
            assert json.loads((tmp_path / "reports" / "stack.json").read_text())["graphql_url"] == other.graphql_url
            assert stack_token(other) not in (tmp_path / "reports" / "stack.json").read_text()
        finally:
            stopped = devstack.down(tmp_path / "other")
        assert len(stopped) == 2 and devstack.status(tmp_path / "other") is None
        assert devstack.status(Path(stack.state_dir)) is not None  # the session's stack still runs

    def test_data_survives_restart_and_sigkill(self, tmp_path: Path) -> None:
        state = tmp_path / "state"
        first = devstack.up(state, reports_dir=None)
        name = unique()
        content = b"survives restarts"
        cid = add(first, content)
        assert gql(first, PUBLISH, {"n": name, "c": cid}).json()["data"]["publishApp"]["ok"]
        devstack.down(state)
        second = devstack.up(state, reports_dir=None)
        assert gql(second, RESOLVE, {"n": name}).json()["data"]["resolve"]["cid"] == cid
        os.kill(second.ipfs_pid, signal.SIGKILL)
        os.kill(second.graphql_pid, signal.SIGKILL)
        time.sleep(0.2)
        assert devstack.status(state) is None
        third = devstack.up(state, reports_dir=None)
        try:
            assert third.ipfs_pid != second.ipfs_pid
            assert gql(third, RESOLVE, {"n": name}).json()["data"]["resolve"]["cid"] == cid
            with IpfsClient(third.ipfs_api) as client:
                assert client.cat(cid) == content
        finally:
            devstack.down(state)

    def test_introspection_can_be_turned_off(self, tmp_path: Path) -> None:
        info = devstack.up(tmp_path / "state", reports_dir=None, introspection=False)
        try:
            response = gql(info, "{ __schema { queryType { name } } }", token=None)
            assert "introspection" in response.json()["errors"][0]["message"].lower()
        finally:
            devstack.down(tmp_path / "state")

    def test_cli_up_status_run_down(self, tmp_path: Path) -> None:
        state = str(tmp_path / "state")
        up = hologram("stack", "up", "--state-dir", state, cwd=tmp_path)
        try:
            assert up.returncode == 0, up.stderr
            assert "export IPFS_API=http://127.0.0.1:" in up.stdout and 'GRAPHQL_TOKEN="Bearer $(cat ' in up.stdout
            assert (tmp_path / ".stack" / "token").exists() is False  # the state dir given was used
            assert hologram("stack", "status", "--state-dir", state, cwd=tmp_path).returncode == 0
            assert json.loads((tmp_path / "reports" / "stack.json").read_text())["ipfs_api"].startswith("http://")
            probe = (
                "import os; print(os.environ['IPFS_API'], os.environ['GRAPHQL_URL'], bool(os.environ['GRAPHQL_TOKEN']))"
            )
            ran = hologram("stack", "run", "--state-dir", state, "--", "python3", "-c", probe, cwd=tmp_path)
            assert ran.returncode == 0 and ran.stdout.split()[2] == "True"
        finally:
            down = hologram("stack", "down", "--state-dir", state, cwd=tmp_path)
        assert "stopped marketplace" in down.stdout
        assert hologram("stack", "status", "--state-dir", state, cwd=tmp_path).returncode == 1
        assert not (tmp_path / "reports" / "stack.json").exists()  # no endpoints left pointing at nothing


def test_garbled_pid_files_do_not_stop_a_start(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "ipfs.pid").write_text("not a pid")
    (state / "marketplace.pid").write_text("")
    info = devstack.up(state, reports_dir=None)
    try:
        assert devstack.status(state) == info
    finally:
        devstack.down(state)


def test_the_bearer_scheme_is_case_insensitive_the_token_is_not(stack) -> None:
    token = stack_token(stack)
    query = "mutation($n:String!,$c:String!){ upsertObject(name:$n,cid:$c){ ok } }"
    variables = {"n": unique(), "c": add(stack, b"any case")}
    for header in (f"bearer {token}", f"BEARER {token}", f"Bearer  {token} "):
        assert gql(stack, query, variables, token=header).json()["data"]["upsertObject"]["ok"], header
    refused = gql(stack, query, variables, token=f"Bearer {token.upper()}").json()
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_ownership_is_by_exact_state_dir_and_down_deletes_only_what_it_published(stack, tmp_path: Path) -> None:
    """A state dir `.../state` must not claim the processes of `.../state2`; a `published` file pointing anywhere
    else than the stack.json it wrote is never followed."""
    from hologram_lib.devstack.processes import ours as _ours
    from hologram_lib.devstack.stack import PUBLISHED

    sibling = Path(stack.state_dir + "2")
    assert _ours(stack.ipfs_pid, Path(stack.state_dir)) and not _ours(stack.ipfs_pid, Path(stack.state_dir[:-1]))
    assert not _ours(stack.ipfs_pid, sibling)
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    state = tmp_path / "idle"
    state.mkdir()
    (state / PUBLISHED).write_text(str(victim))
    devstack.down(state)
    assert victim.read_text() == "keep me" and not (state / PUBLISHED).exists()


# --- the node is Kubo ----------------------------------------------------------------------------------------------

from hologram_lib.devstack import kubo, kubo_node, services  # noqa: E402
from hologram_lib.errors import KuboUnavailable  # noqa: E402


def fake_program(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return path


def test_stack_up_prints_the_kubo_version_the_started_daemon_answers(stack) -> None:
    with IpfsClient(stack.ipfs_api) as client:
        answered = client.version()
    assert kubo.recent_enough(answered) and stack.ipfs_version == answered
    args = Path(f"/proc/{stack.ipfs_pid}/cmdline").read_bytes().split(b"\0")
    assert args[1:5] == [b"--repo-dir", str(Path(stack.state_dir, "ipfs-repo")).encode(), b"daemon", b"--offline"]


def test_kubo_runs_offline_on_loopback_with_kubos_own_datastore_and_import(stack) -> None:
    repo_config = json.loads(Path(stack.state_dir, "ipfs-repo", "config").read_text())
    assert repo_config["Addresses"]["Swarm"] == [] and repo_config["Bootstrap"] == []
    assert repo_config["Addresses"]["API"].startswith("/ip4/127.0.0.1/tcp/")
    assert repo_config["Addresses"]["Gateway"].startswith("/ip4/127.0.0.1/tcp/")
    assert repo_config["AutoConf"]["Enabled"] is False and repo_config["Discovery"]["MDNS"]["Enabled"] is False
    assert all(value is None for value in repo_config["Import"].values())  # nothing overrides Kubo's defaults
    assert [mount["type"] for mount in repo_config["Datastore"]["Spec"]["mounts"]] == ["flatfs", "levelds"]
    peers = requests.post(f"{stack.ipfs_api}/api/v0/swarm/peers", timeout=10)
    assert peers.status_code == 500 and "online mode" in peers.json()["Message"]  # no swarm at all
    cid = add(stack, b"served by the gateway")
    assert stack.ipfs_gateway.startswith("http://127.0.0.1:")
    assert requests.get(f"{stack.ipfs_gateway}/ipfs/{cid}", timeout=10).content == b"served by the gateway"


def test_a_repo_held_by_a_kubo_this_stack_did_not_start_is_one_clear_error(tmp_path: Path) -> None:
    state = tmp_path / "state"
    binary = kubo.locate()
    repo = kubo_node.repo_dir(state)
    kubo_node.init_repo(binary, repo)
    kubo_node.configure(repo, 0, 0)
    log = tmp_path / "foreign.log"
    with log.open("w") as out:
        foreign = subprocess.Popen([str(binary.path), "--repo-dir", str(repo), "daemon", "--offline"], stdout=out)
    try:
        deadline = time.monotonic() + 60
        while "Daemon is ready" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        with pytest.raises(StackError, match=r"is in use by another Kubo process .*its repo lock is held"):
            devstack.up(state, reports_dir=None, timeout_s=60)
        assert foreign.poll() is None  # never stopped by `up`'s clean-up: not ours
    finally:
        foreign.terminate()
        foreign.wait(30)


def test_a_sigkilled_kubo_leaves_its_lock_file_and_the_next_start_takes_it(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = devstack.up(state, reports_dir=None)
    cid = add(first, b"kept across a SIGKILL")
    os.kill(first.ipfs_pid, signal.SIGKILL)
    time.sleep(0.2)
    assert (state / "ipfs-repo" / "repo.lock").exists()  # left behind; Kubo's lock died with its holder
    second = devstack.up(state, reports_dir=None)
    try:
        with IpfsClient(second.ipfs_api) as client:
            assert client.cat(cid) == b"kept across a SIGKILL"
    finally:
        devstack.down(state)


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (None, r"HOLOGRAM_KUBO=.*: expected an executable Kubo binary, found no such program"),
        ("echo 'not kubo'", r"expected a Kubo binary, but `version --number` did not answer"),
        ("echo 0.29.0", r"Kubo 0.29.0 is too old \(expected Kubo >= 0.30\)"),
    ],
)
def test_a_bad_hologram_kubo_is_exit_2_in_one_line(tmp_path: Path, script: str | None, expected: str) -> None:
    binary = tmp_path / "bin" / "ipfs"
    if script is not None:
        fake_program(binary, script)
    done = hologram("stack", "up", "--state-dir", str(tmp_path / "state"), env={"HOLOGRAM_KUBO": str(binary)})
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert re.search(expected, done.stderr) and "Traceback" not in done.stderr


def test_no_kubo_and_no_go_is_exit_2_naming_the_three_ways(tmp_path: Path) -> None:
    bare = tmp_path / "bare-bin"
    fake_program(bare / "ipfs", "echo 0.18.1")  # an old ipfs on PATH is passed over, and said so
    env = {"PATH": f"{bare}:{Path(sys.executable).parent}:/usr/bin:/bin", "HOLOGRAM_KUBO_CACHE": str(tmp_path / "c")}
    assert not any(Path(d, "go").exists() for d in env["PATH"].split(":")), "this test needs a PATH without go"
    done = hologram("stack", "up", "--state-dir", str(tmp_path / "state"), env=env)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0] == f"kubo: not using {bare / 'ipfs'} from PATH: Kubo 0.18.1 (needs Kubo >= 0.30)"
    assert len(lines) == 2 and all(way in lines[1] for way in ("HOLOGRAM_KUBO", "on PATH", "install Go"))
    assert not (tmp_path / "state" / "ipfs.pid").exists()


def test_a_build_that_fails_half_way_leaves_no_binary_and_a_bad_checksum_means_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A `go` that writes half a binary to its -o path, then fails: nothing under the final name, no temp file left.
    go_dir = tmp_path / "go-bin"
    fake_program(
        go_dir / "go",
        'out=""; while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done\n'
        'echo "go: downloading example.com/x v1"; printf half > "$out"; echo "link: killed" >&2; exit 1',
    )
    monkeypatch.setenv("PATH", f"{go_dir}:/usr/bin:/bin")
    target = tmp_path / "cache" / "kubo-0.43.1" / "ipfs"
    said: list[str] = []
    with pytest.raises(KuboUnavailable, match=r"building Kubo failed \(go build exit 1; .*\): .*link: killed"):
        kubo.build("0.43.1", target, said.append)
    assert sorted(p.name for p in target.parent.iterdir()) == [".build.lock", "build.log"]
    assert said[0].startswith("building Kubo ")
    # A cached binary whose recorded checksum does not match is not run: locate() goes to the build again.
    target.write_bytes(b"tampered")
    (target.parent / "ipfs.sha256").write_text("0" * 64 + "  ipfs\n")
    env = {"HOLOGRAM_KUBO_CACHE": str(tmp_path / "cache"), "PATH": os.environ["PATH"]}
    with pytest.raises(KuboUnavailable, match="building Kubo failed"):
        kubo.locate(env, said.append)


def test_a_port_taken_as_kubo_starts_is_retried_once_on_any_port_and_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Another program binds the preferred ports between the check and Kubo's bind: the check is made to miss it.
    with socket.socket() as api, socket.socket() as gateway:
        api.bind(("127.0.0.1", 0))
        gateway.bind(("127.0.0.1", 0))
        api.listen()
        gateway.listen()
        monkeypatch.setattr(services, "PREFERRED_IPFS_PORT", api.getsockname()[1])
        monkeypatch.setattr(services, "PREFERRED_GATEWAY_PORT", gateway.getsockname()[1])
        monkeypatch.setattr(kubo_node, "port_free", lambda port: True)
        info = devstack.up(tmp_path / "state", reports_dir=None)
        try:
            assert not info.ipfs_api.endswith(f":{api.getsockname()[1]}")
            assert "was taken as Kubo started: retrying on any free loopback port" in capsys.readouterr().err
        finally:
            devstack.down(tmp_path / "state")


def test_a_build_says_its_progress_while_go_is_silent_renames_into_place_and_records_its_checksum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A `go` whose "binary" answers the pinned version after a silent second (as a real link step is silent).
    pinned = kubo.pinned_version()
    fake_program(
        tmp_path / "go-bin" / "go",
        'out=""; while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done\n'
        f'echo "go: downloading example.com/x v1"; sleep 1; printf \'#!/bin/sh\\necho {pinned}\\n\' > "$out"; '
        'chmod +x "$out"',
    )
    monkeypatch.setenv("PATH", f"{tmp_path / 'go-bin'}:/usr/bin:/bin")
    monkeypatch.setattr(kubo, "PROGRESS_EVERY_S", 0.2)
    said: list[str] = []
    env = {"HOLOGRAM_KUBO_CACHE": str(tmp_path / "cache"), "PATH": f"{tmp_path / 'go-bin'}:/usr/bin:/bin"}
    built = kubo.locate(env, said.append)
    target = tmp_path / "cache" / f"kubo-{pinned}" / "ipfs"
    assert built == kubo.Kubo(target, pinned, "build")
    assert any(line.startswith("… ") and "1 modules downloaded" in line for line in said), said
    recorded = (target.parent / "ipfs.sha256").read_text().split()[0]
    assert said[-1].endswith(f"sha256 {recorded}") and not list(target.parent.glob(".ipfs.*.tmp"))
    assert kubo.locate(env, said.append) == kubo.Kubo(target, pinned, "cache")  # built once, then reused
