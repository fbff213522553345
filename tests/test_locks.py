"""Locks live in a private folder of the user's own, at a place TMPDIR does not move: a planted link is not
followed, another user cannot hold our locks, and two processes with different TMPDIRs still exclude each other."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from hologram_lib import locks
from hologram_lib.errors import Busy, InputError
from tests.helpers import ROOT

HOLD = """
import sys, time
from pathlib import Path
from hologram_lib import locks
locks._ROOT = Path(sys.argv[1])
with locks.locked(Path(sys.argv[2])):
    print("held", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for /tmp (sticky, world-writable), so that the tests never touch the machine's lock folders."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    folder.chmod(0o1777)
    tmp_path.chmod(0o755)
    monkeypatch.setattr(locks, "_ROOT", folder)
    return folder


def _holder(root: Path, guarded: Path, python: str = sys.executable, **kwargs: object) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [python, "-c", HOLD, str(root), str(guarded)], stdout=subprocess.PIPE, text=True, cwd=ROOT, **kwargs
    )  # type: ignore[call-overload]
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_two_processes_with_different_tmpdirs_exclude_each_other(root: Path, tmp_path: Path) -> None:
    guarded = tmp_path / "store.duckdb"
    holder = _holder(root, guarded, env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        with pytest.raises(Busy), locks.locked(guarded, wait=False):  # this process's TMPDIR is another one
            pass
    finally:
        holder.kill()
        holder.communicate()
    with locks.locked(guarded, wait=False):
        pass


def test_the_lock_folder_is_private_and_not_under_tmpdir(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path / "elsewhere"))
    with locks.locked(tmp_path / "x"):
        pass
    folder = locks.lock_dir()
    assert folder.parent == root and folder.stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in folder.iterdir())


def test_a_planted_link_as_the_lock_folder_is_refused(root: Path, tmp_path: Path) -> None:
    target = tmp_path / "where-root-would-write"
    target.mkdir(mode=0o700)
    locks.lock_dir().symlink_to(target)
    with pytest.raises(InputError, match="not a private folder of yours"), locks.locked(tmp_path / "x"):
        pass
    assert list(target.iterdir()) == []


def test_a_planted_link_as_a_lock_file_is_not_followed(root: Path, tmp_path: Path) -> None:
    with locks.locked(tmp_path / "x"):
        pass
    victim = tmp_path / "victim"
    lock = locks.lock_file(tmp_path / "y")
    lock.symlink_to(victim)
    with pytest.raises(InputError, match="symbolic link"), locks.locked(tmp_path / "y"):
        pass
    assert not victim.exists()


def test_a_world_writable_lock_folder_is_refused(root: Path, tmp_path: Path) -> None:
    locks.lock_dir().mkdir()
    locks.lock_dir().chmod(0o777)
    with pytest.raises(InputError, match="mode 0777"), locks.locked(tmp_path / "x"):
        pass


def test_another_users_lock_does_not_block_ours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A lock held by another account blocked every report for ever (one shared folder, one file per path)."""
    system_python = "/usr/bin/python3"  # the venv's interpreter may live in root's home, closed to others
    if os.getuid() != 0 or not os.access(system_python, os.X_OK):
        pytest.skip("running a process as another user needs root and a system python3")
    root = Path(tempfile.mkdtemp(prefix="locks-root-", dir="/tmp"))  # pytest's own tmp is closed to other users
    root.chmod(0o1777)
    monkeypatch.setattr(locks, "_ROOT", root)
    guarded = tmp_path / "store.duckdb"
    env = {"PYTHONPATH": str(ROOT), "HOME": "/", "PATH": "/usr/bin:/bin"}  # locks.py needs nothing outside the checkout
    holder = _holder(root, guarded, system_python, user=65534, group=65534, env=env)
    try:
        with locks.locked(guarded, wait=False):
            pass
        assert (root / f"hologram-locks-{os.getuid()}").is_dir()
        assert (root / "hologram-locks-65534").stat().st_uid == 65534  # each account has its own folder
    finally:
        holder.kill()
        holder.communicate()
        shutil.rmtree(root)


def test_a_folder_squatted_by_another_user_is_refused_clearly(root: Path, tmp_path: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("giving a folder to another user needs root")
    locks.lock_dir().mkdir(mode=0o700)
    os.chown(locks.lock_dir(), 65534, 65534)
    with pytest.raises(InputError, match="uid 65534"), locks.locked(tmp_path / "x", wait=False):
        pass
