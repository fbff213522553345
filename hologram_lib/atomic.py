"""Atomic writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import errno
import json
import math
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any

from hologram_lib.errors import InputError


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# mkstemp creates files readable by their owner only; a report is meant to be read (served, uploaded) by others.
_NEW_FILE_MODE = 0o666 & ~_umask()


class Unwritable(InputError):
    """The path cannot take a file (a folder, too long a name, /proc, no permission); `reason` says which."""

    def __init__(self, reason: str, path: str | Path) -> None:
        self.reason = reason
        super().__init__(f"cannot write there ({reason}): expected a writable file path", path)


# Why a write fails because of where it was asked to go (the user's path to fix, exit 2), not because of the machine.
_PATH_ERRORS = frozenset((errno.ENAMETOOLONG, errno.EISDIR, errno.ENOTDIR, errno.EACCES, errno.EPERM, errno.EROFS,
                          errno.ENOENT, errno.EINVAL, errno.ELOOP, errno.EEXIST, errno.ENXIO))  # fmt: skip
_KERNEL_FILES = re.compile(r"/(proc|sys)(/.*)?")
_FD_HANDLE = re.compile(r"/proc/(self|thread-self|[0-9]+)/fd/[0-9]+")


def _links(target: Path) -> list[str]:
    """The absolute names on the way from `target` to the file it names (`/dev/stdout`, `/proc/self/fd/1`, …)."""

    def canonical(name: str) -> str:  # the folders resolved (`/dev/fd` is a link to `/proc/self/fd`), not the name
        return os.path.join(os.path.realpath(os.path.dirname(name)), os.path.basename(name))

    names = [canonical(os.path.abspath(target))]
    while os.path.islink(names[-1]) and len(names) <= 40:  # 40: the kernel's own limit on a chain of links
        names.append(canonical(os.path.join(os.path.dirname(names[-1]), os.readlink(names[-1]))))
    return names


def _write_in_place(target: Path, data: bytes) -> None:
    """Write through an existing device, pipe or descriptor: replacing it would swap `/dev/null` (as root) or the
    `/dev/stdout` link for a regular file."""
    fd = os.open(target, os.O_WRONLY | os.O_TRUNC | os.O_NOCTTY)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _in_place(target: Path) -> bool:
    """Is `target` a thing to write into rather than to replace? A character device or a FIFO (`/dev/null`, a
    terminal, a pipe), or a file reached through an open descriptor (`/dev/stdout` when the shell redirected it into
    a file: renaming over that file would leave the shell's descriptor on the old one). A folder, a block device, a
    socket and any other name in /proc or /sys are refused: no report belongs there."""
    links = _links(target)
    try:
        info = target.stat()
    except FileNotFoundError:
        info = None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "a folder, expected a file", str(target))
    if info is not None and (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        return True
    if info is not None and stat.S_ISREG(info.st_mode) and any(_FD_HANDLE.fullmatch(name) for name in links):
        return True
    if (info is not None and not stat.S_ISREG(info.st_mode)) or any(_KERNEL_FILES.fullmatch(n) for n in links):
        raise PermissionError(errno.EACCES, "not a file a report may replace or write into", str(target))
    return False


def _replace(target: Path, data: bytes) -> None:
    """The new file under a temp name beside the target (what a link points to, so the link stays), then renamed."""
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = target.stat().st_mode & 0o777 if target.exists() else _NEW_FILE_MODE
    # The temp name must fit where the target's name fits (255 bytes): a 250-character target is a fine name.
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:64]}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` whole. A regular file (or a new one) is replaced atomically; a device, a pipe or a
    /proc handle is written into. A path that cannot be a file (empty, a folder, too long, in /proc, not ours to
    write) is an InputError naming it — never the temp file's name."""
    if str(path) == "":
        raise Unwritable("an empty name, expected a file name", "''")
    target = Path(path)
    try:
        if _in_place(target):
            _write_in_place(target, data)
        else:
            _replace(target, data)
    except OSError as exc:
        if exc.errno not in _PATH_ERRORS:
            raise
        raise Unwritable(str(exc.strerror or exc), path) from None
    return target


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def finite(value: Any) -> Any:
    """`value` with every non-finite float (an unbounded interval end) replaced by None, for strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


def write_json(path: str | Path, document: Any) -> Path:
    return write_text(path, json.dumps(finite(document), indent=2, allow_nan=False, default=str) + "\n")
