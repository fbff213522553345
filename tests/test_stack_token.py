"""The embedded stack's token goes only to that stack: hostile URLs, planted token files and foreign processes.

A stack here is its state directory (stack.json, token) and a live process whose command line names that directory,
as `hologram stack up` leaves them; the marketplace itself is not needed to decide whether its token may be used.
"""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from hologram_lib import config, credentials
from hologram_lib.devstack import stack as devstack
from tests.helpers import hologram

URL = "http://127.0.0.1:4999/graphql"


def knobs(graphql_url: str) -> config.PerfKnobs:
    return credentials.perf_knobs(environ={"GRAPHQL_URL": graphql_url})


def fake_stack(state_dir: Path, url: str = URL, **as_user: int) -> subprocess.Popen[bytes]:
    """A state directory whose recorded marketplace pid is a live process started "from" it."""
    state_dir.mkdir()
    argv = ["/bin/sh", "-c", "sleep 120; :", "sh", str(state_dir)]  # `; :` keeps sh itself alive, argv and all
    process = subprocess.Popen(argv, **as_user)
    deadline = time.monotonic() + 10
    while str(state_dir).encode() not in Path(f"/proc/{process.pid}/cmdline").read_bytes():  # until it has exec'd
        assert time.monotonic() < deadline, "the stand-in process never started"
        time.sleep(0.01)
    info = {"ipfs_api": "http://127.0.0.1:4998", "graphql_url": url, "ipfs_pid": process.pid}
    info |= {"graphql_pid": process.pid, "state_dir": str(state_dir), "started": "2026-01-01T00:00:00Z"}
    (state_dir / "stack.json").write_text(json.dumps(info))
    devstack.read_token(state_dir)
    return process


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    state_dir = (tmp_path / devstack.DEFAULT_STATE_DIR).resolve()
    process = fake_stack(state_dir)
    yield state_dir
    process.kill()
    process.wait()


def test_the_stacks_own_url_gets_its_token(state_dir: Path) -> None:
    """The control: everything below differs from this in one hostile detail."""
    assert knobs(URL).graphql_token == devstack.read_token(state_dir)
    assert knobs(URL.replace("127.0.0.1", "LOCALHOST")).graphql_token == devstack.read_token(state_dir)


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.example\\@127.0.0.1:4999/graphql",  # urlsplit: 127.0.0.1; requests: evil.example
        "http://evil.example@127.0.0.1:4999/graphql",
        "http://127.0.0.1:4999@evil.example/graphql",
        "http://127.0.0.1:4999.evil.example/graphql",
        "http://evil.example\t@127.0.0.1:4999/graphql",
        "http://%31%32%37.0.0.1:4999/graphql",
        "http://[::1]:4999/graphql",
        "http://0.0.0.0:4999/graphql",
        "http://127.1:4999/graphql",
    ],
)
def test_no_token_for_a_url_that_is_not_plainly_the_stacks(state_dir: Path, url: str) -> None:
    assert knobs(url).graphql_token is None


def test_the_requests_parser_sends_the_backslash_url_elsewhere() -> None:
    """Why the URL must be plain: the HTTP client reads the host differently from urlsplit."""
    import requests

    prepared = requests.Request("POST", "http://evil.example\\@127.0.0.1:4999/graphql").prepare()
    assert prepared.url is not None and prepared.url.startswith("http://evil.example/")


def test_a_symlinked_token_file_is_never_read(state_dir: Path, tmp_path: Path) -> None:
    private = tmp_path / "id_rsa"
    private.write_text("my-private-key")
    private.chmod(0o600)
    (state_dir / "token").unlink()
    (state_dir / "token").symlink_to(private)
    assert knobs(URL).graphql_token is None


def test_a_hard_linked_or_readable_token_file_is_never_read(state_dir: Path, tmp_path: Path) -> None:
    os.link(state_dir / "token", tmp_path / "other-name")
    assert knobs(URL).graphql_token is None
    (tmp_path / "other-name").unlink()
    (state_dir / "token").chmod(0o644)
    assert knobs(URL).graphql_token is None


def test_a_fifo_token_file_does_not_hang(state_dir: Path) -> None:
    (state_dir / "token").unlink()
    os.mkfifo(state_dir / "token", 0o600)
    assert knobs(URL).graphql_token is None


def test_no_token_when_the_recorded_process_belongs_to_another_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone else's process that names our state directory on its command line is not our stack."""
    if os.getuid() != 0:
        pytest.skip("starting a process as another user needs root")
    monkeypatch.chdir(tmp_path)
    process = fake_stack((tmp_path / devstack.DEFAULT_STATE_DIR).resolve(), user=65534, group=65534)
    try:
        assert knobs(URL).graphql_token is None
    finally:
        process.kill()
        process.wait()


# --- where the token goes: the stack's own address, never the user's spelling of it --------------------------------


def test_localhost_gets_the_token_with_the_stacks_own_address(state_dir: Path) -> None:
    """The seed writes `localhost`; the connection goes to what the stack recorded (127.0.0.1), token and all."""
    for settings in (knobs("http://localhost:4999/graphql/"), credentials.probe_settings(
            environ={"GRAPHQL_URL": "http://LOCALHOST:4999/graphql"})):  # fmt: skip
        assert settings.graphql_token == devstack.read_token(state_dir)
        assert settings.graphql_url == URL
    other = credentials.probe_settings(environ={"GRAPHQL_URL": "http://localhost:4000/graphql"})
    assert other.graphql_token is None and other.graphql_url == "http://localhost:4000/graphql"  # untouched


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append((self.server.server_address[0], self.headers.get("Authorization")))
        body = b'{"data": {"__typename": "Query"}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


class _Ipv6Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


def test_localhost_resolving_to_ipv6_first_never_sends_the_token_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Debian's /etc/hosts lists `::1 localhost` first: requests connected to [::1]:PORT — another user's listener
    on the same port number — with the stack's token. The resolver is made to answer as Debian's would; both
    listeners are real sockets."""
    from hologram_lib.clients import GraphQLClient

    stack_side = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    port = stack_side.server_address[1]
    try:
        foreign = _Ipv6Server(("::1", port), _Recorder)
    except OSError:
        stack_side.server_close()
        pytest.skip(f"[::1]:{port} is not free or IPv6 loopback is missing")
    servers = [stack_side, foreign]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    resolve = socket.getaddrinfo

    def debian_hosts(host: object, *args: object, **kwargs: object) -> list[object]:
        if str(host).lower() == "localhost":
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port, 0, 0)),
                    (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]  # fmt: skip
        return resolve(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.chdir(tmp_path)
    process = fake_stack((tmp_path / devstack.DEFAULT_STATE_DIR).resolve(), f"http://127.0.0.1:{port}/graphql")
    _Recorder.seen = []
    try:
        monkeypatch.setattr(socket, "getaddrinfo", debian_hosts)
        settings = credentials.probe_settings(environ={"GRAPHQL_URL": f"http://localhost:{port}/graphql"})
        assert settings.graphql_token
        with GraphQLClient(settings.graphql_url or "", settings.graphql_token, 5) as client:
            client.execute("{ __typename }")
    finally:
        process.kill()
        process.wait()
        for server in servers:
            server.shutdown()
            server.server_close()
    assert [address for address, _ in _Recorder.seen] == ["127.0.0.1"]
    assert _Recorder.seen[0][1] == f"Bearer {settings.graphql_token}"


# --- `stack up` adopts only the user's own private token file ---------------------------------------------------


@pytest.mark.parametrize("plant", ["world-readable", "another user's", "a link"])
def test_stack_up_refuses_a_planted_token_file_before_starting_anything(tmp_path: Path, plant: str) -> None:
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    token = state_dir / "token"
    token.write_text("known-to-someone-else")
    if plant == "world-readable":
        token.chmod(0o644)
    elif plant == "another user's":
        if os.getuid() != 0:
            pytest.skip("giving a file to another user needs root")
        token.chmod(0o600)
        os.chown(token, 65534, 65534)
    else:
        token.rename(tmp_path / "elsewhere")
        (tmp_path / "elsewhere").chmod(0o600)
        token.symlink_to(tmp_path / "elsewhere")
    done = hologram("stack", "up", "--state-dir", str(state_dir), "--timeout", "5")
    assert done.returncode != 0 and "refusing to adopt it" in done.stderr, done.stderr
    assert "known-to-someone-else" not in done.stdout + done.stderr
    assert sorted(p.name for p in state_dir.iterdir()) == ["token"]  # no process started, no log written
