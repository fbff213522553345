"""The embedded stack's token goes only to that stack: hostile URLs, planted token files and foreign processes.

A stack here is its state directory (stack.json, token) and a live process whose command line names that directory,
as `hologram stack up` leaves them; the marketplace itself is not needed to decide whether its token may be used.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hologram_lib import config
from hologram_lib.devstack import stack as devstack

URL = "http://127.0.0.1:4999/graphql"


def knobs(graphql_url: str) -> config.PerfKnobs:
    return config.perf_knobs(environ={"GRAPHQL_URL": graphql_url})


def fake_stack(state_dir: Path, **as_user: int) -> subprocess.Popen[bytes]:
    """A state directory whose recorded marketplace pid is a live process started "from" it."""
    state_dir.mkdir()
    argv = ["/bin/sh", "-c", "sleep 120; :", "sh", str(state_dir)]  # `; :` keeps sh itself alive, argv and all
    process = subprocess.Popen(argv, **as_user)
    deadline = time.monotonic() + 10
    while str(state_dir).encode() not in Path(f"/proc/{process.pid}/cmdline").read_bytes():  # until it has exec'd
        assert time.monotonic() < deadline, "the stand-in process never started"
        time.sleep(0.01)
    info = {"ipfs_api": "http://127.0.0.1:4998", "graphql_url": URL, "ipfs_pid": process.pid}
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
