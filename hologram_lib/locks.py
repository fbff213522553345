"""Advisory locks kept outside reports/ (that folder is the CI artifact): one lock file per guarded path, named by
a hash of its resolved path, in a folder of the current user's own. The kernel drops a flock when its holder dies,
so a killed process never leaves a lock behind.

The folder is `/tmp/hologram-locks-<uid>`, whatever TMPDIR says (two processes with different TMPDIRs must meet at
the same lock), created 0700 and used only when it is a real folder of the user's own: a shared, world-writable
folder let another user plant a symlink there (root then created the target) or hold a lock that blocked every
report for ever. Lock files are opened with O_NOFOLLOW and checked to be the user's own regular files.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from hologram_lib.errors import Busy, InputError

_ROOT = Path("/tmp")  # fixed on purpose: TMPDIR differs between a shell, make and CI steps


def lock_dir() -> Path:
    return _ROOT / f"hologram-locks-{os.getuid()}"


def lock_file(path: Path) -> Path:
    return lock_dir() / f"{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24]}.lock"


def _own_folder() -> Path:
    """The user's lock folder, made 0700 when absent; refused (InputError, naming it) when someone else made it."""
    folder = lock_dir()
    with suppress(FileExistsError):
        os.mkdir(folder, 0o700)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise InputError(
            f"the lock folder is not a private folder of yours (uid {info.st_uid}, mode "
            f"{stat.S_IMODE(info.st_mode):04o}{', a link' if stat.S_ISLNK(info.st_mode) else ''}): expected a 0700 "
            "folder owned by you; remove it and retry",
            folder,
        )
    return folder


def _open_lock(path: Path) -> int:
    target = _own_folder() / lock_file(path).name
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError("a lock file is a symbolic link: expected a plain file; remove it", target) from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
        os.close(fd)
        raise InputError("a lock file is not a plain file of yours: remove it and retry", target)
    return fd


@contextmanager
def locked(path: Path, *, wait: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on `path` (which need not exist) for a read-modify-write or a whole report."""
    fd = _open_lock(path)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise Busy(str(path)) from None
        yield
    finally:
        os.close(fd)  # closing releases the lock
