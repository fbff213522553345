"""Writes to special files: a device, a pipe or `/dev/stdout` is written into, never replaced by a regular file; a
path that cannot be a file is exit 2 naming it (never a temp file's name, never a traceback)."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hologram_lib import atomic
from hologram_lib.errors import InputError
from tests.helpers import hologram


def test_a_character_device_is_written_into_not_replaced(tmp_path: Path) -> None:
    """`summary --out /dev/null` as root turned the device node into a regular file (here: a null device of our
    own, so that the test cannot break the machine's /dev/null when it fails)."""
    if os.getuid() != 0:
        pytest.skip("making a device node needs root")
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    atomic.write_json(null, {"a": 1})
    assert stat.S_ISCHR(null.stat().st_mode) and null.stat().st_rdev == os.makedev(1, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]  # no temp file left either


def test_a_fifo_is_written_into_and_its_reader_gets_the_data(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    atomic.write_text(fifo, "through the pipe\n")
    reader.join(10)
    assert received == [b"through the pipe\n"] and stat.S_ISFIFO(fifo.stat().st_mode)


def test_json_to_a_stdout_link_goes_to_stdout_and_the_link_stays(tmp_path: Path, report_dir: Path) -> None:
    """`--json /dev/stdout` replaced the link (a link of our own here, to the same /proc/self/fd/1)."""
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    done = hologram("summary", "--reports-dir", str(report_dir), "--out", str(link))
    assert done.returncode in (0, 1), done.stderr
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"
    assert "Hologram" in done.stdout


def test_stdout_redirected_into_a_file_keeps_the_shells_file(tmp_path: Path, report_dir: Path) -> None:
    """/dev/stdout → /proc/self/fd/1 → the file the shell opened: renaming over that file would leave the shell's
    descriptor on the old one, and the text would be lost."""
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    captured = tmp_path / "captured.md"
    script = (
        "import sys; from hologram_lib.cli import main; "
        f"sys.exit(main(['summary', '--reports-dir', {str(report_dir)!r}, '--out', {str(link)!r}]))"
    )
    with captured.open("wb") as handle:
        inode = os.fstat(handle.fileno()).st_ino
        subprocess.run([sys.executable, "-c", script], stdout=handle, check=False, timeout=120)
    assert captured.stat().st_ino == inode and "Hologram" in captured.read_text()


def test_a_link_to_a_regular_file_keeps_the_link_and_updates_its_file(tmp_path: Path) -> None:
    real = tmp_path / "runs" / "r1.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    atomic.write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_a_250_character_name_is_a_fine_name(tmp_path: Path) -> None:
    """The temp name beside it must fit too (it was the target's name plus a prefix and a suffix: > 255 bytes)."""
    target = tmp_path / ("a" * 250)
    atomic.write_text(target, "x")
    assert target.read_text() == "x" and len(list(tmp_path.iterdir())) == 1


@pytest.mark.parametrize(
    ("out", "expected"),
    [
        ("", "cannot write there"),
        ("/proc/version", "cannot write there"),
        ("/proc/sys/kernel/hostname", "cannot write there"),
        ("TMP/" + "b" * 260 + ".md", "File name too long"),
        ("TMP", "a folder"),
        ("TMP/sub/", "a folder"),
        ("TMP/socket", "cannot write there"),
    ],
)
def test_odd_out_paths_are_exit_2_naming_the_path(tmp_path: Path, report_dir: Path, out: str, expected: str) -> None:
    (tmp_path / "sub").mkdir()
    target = out.replace("TMP", str(tmp_path))
    before = Path("/proc/sys/kernel/hostname").read_text()
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(tmp_path / "socket"))
        done = hologram("summary", "--reports-dir", str(report_dir), "--out", target)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert expected in done.stderr and ".tmp" not in done.stderr
    assert Path("/proc/sys/kernel/hostname").read_text() == before


def test_an_empty_name_or_a_folder_is_an_input_error_in_the_library_too(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty name"):
        atomic.write_text("", "x")
    with pytest.raises(InputError, match="a folder"):
        atomic.write_text(tmp_path, "x")
