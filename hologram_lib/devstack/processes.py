"""The stack's processes: started detached (a session of their own, output to a log file) so that they outlive the
command, recognised as ours only when their command line names the state directory (a recycled pid is never
ours), and stopped — SIGTERM, then SIGKILL after a grace period. Linux: reads /proc."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from hologram_lib.errors import StackError


def alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap our own exited children so they do not linger as zombies
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def ours(pid: int, state_dir: Path) -> bool:
    """Is `pid` a live process that this state directory started (an argument of its command line is the directory
    or a path inside it — `.stack` must not claim the processes of `.stack2`)?"""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return False
    root = str(state_dir)
    return alive(pid) and any(arg == root or arg.startswith(root + os.sep) for arg in args)


def spawn(argv: list[str], log_path: Path, env: dict[str, str]) -> int:
    """Start a detached process (own session) writing to a log file; it outlives this command."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log_path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    try:
        return os.posix_spawn(argv[0], argv, env, file_actions=actions, setsid=True)
    except OSError as exc:
        raise StackError(f"cannot start {argv[0]}: {exc.strerror}") from None


def log_tail(path: Path, lines: int = 8) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"


def read_pid(path: Path) -> int:
    """The pid in a pid file; 0 (no process) for a missing, empty or garbled file."""
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return 0


def clear_stale(state_dir: Path, name: str) -> None:
    pid_file = state_dir / f"{name}.pid"
    if pid_file.exists() and not ours(read_pid(pid_file), state_dir):
        pid_file.unlink()


def stop(pid: int, grace_s: float) -> None:
    """SIGTERM `pid`, and SIGKILL it when it still lives after `grace_s`."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
