"""Advisory locks kept outside reports/ (that folder is the CI artifact): one lock file per guarded path, named by
a hash of its resolved path, in the system's temp dir. The kernel drops a flock when its holder dies, so a killed
process never leaves a lock behind."""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_DIR = Path(tempfile.gettempdir()) / "hologram-locks"


class Busy(Exception):
    """Another process holds the lock (only raised when not waiting)."""


def lock_file(path: Path) -> Path:
    return LOCK_DIR / f"{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24]}.lock"


@contextmanager
def locked(path: Path, *, wait: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on `path` (which need not exist) for a read-modify-write or a whole report."""
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file(path), os.O_WRONLY | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise Busy(str(path)) from None
        yield
    finally:
        os.close(fd)  # closing releases the lock
