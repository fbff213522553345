"""`hologram stack up | down | status | run`: start, stop and inspect the embedded stack — the package's entry; what
it gives the product is endpoints (StackInfo, the environment of `serving`).

The IPFS node is a Kubo daemon (devstack/kubo.py finds or builds the binary, devstack/kubo_node.py sets up its
repo and starts it offline). State lives in a directory of its own (default `.stack/`): the Kubo repo, the
marketplace's SQLite file, the mutation token (mode 0600), the logs and the pids. Published apps survive a
restart, also after a SIGKILL: stale pid files are cleared when their process is gone, and Kubo's repo lock dies
with its holder. `down` stops only processes whose command line names this state directory, so a recycled pid is
never killed. Here: the state directory (stack.json, the token, the published reports/stack.json) and the
lifecycle; `processes` supervises the processes, `services` starts the two services and waits until they answer.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from hologram_lib import atomic, config
from hologram_lib.clients import IpfsClient
from hologram_lib.clock import utc_stamp
from hologram_lib.devstack import kubo, processes, services
from hologram_lib.devstack.services import START_TIMEOUT_S
from hologram_lib.errors import ServiceError, StackError
from hologram_lib.layout import REPORTS, Reports

DEFAULT_STATE_DIR = Path(".stack")
PUBLISHED = "published"  # names the reports/stack.json this state directory wrote
OPEN_WARNING = (
    "WARNING: --open: the marketplace accepts mutations WITHOUT A TOKEN. Any process on this machine can publish,\n"
    "WARNING: replace or delete apps. It listens on 127.0.0.1 only; use it for test suites whose client sends no\n"
    "WARNING: token, and `hologram stack down` afterwards (a plain `stack up` restarts it with a token)."
)


@dataclass(frozen=True)
class StackInfo:
    ipfs_api: str
    graphql_url: str
    ipfs_pid: int
    graphql_pid: int
    state_dir: str
    started: str
    open_mutations: bool = False
    ipfs_version: str = ""  # as the started daemon answers /api/v0/version
    ipfs_gateway: str = ""

    def exports(self) -> list[str]:
        """Shell lines for the endpoints and the token. The token is exported in the `Bearer <token>` form that
        upstream HologramFire documents (its tests send GRAPHQL_TOKEN verbatim as the Authorization header);
        this project's clients accept it with or without the scheme."""
        lines = [f"export IPFS_API={self.ipfs_api}", f"export GRAPHQL_URL={self.graphql_url}"]
        if self.open_mutations:
            return [*lines, "unset GRAPHQL_TOKEN  # --open: mutations need no token"]
        return [*lines, f'export GRAPHQL_TOKEN="Bearer $(cat {Path(self.state_dir) / "token"})"']


def read_token(state_dir: str | Path) -> str:
    """The marketplace's mutation token, created once per state directory (readable by its owner only).

    The file is written whole before it gets its name (a 0600 temp file, then linked into place), so a crash can
    never leave an empty token — which the marketplace would read as "no token required". An empty or blank file
    left by an older version is replaced by a new token.
    """
    path = Path(state_dir) / "token"
    if os.path.lexists(path):
        token = private_token(path)
        if token:
            return token
        if not _blank(path) and (problem := _foreign_token_file(path)):  # a blank file is repaired below
            raise StackError(f"{path}: {problem}; refusing to adopt it as the marketplace's token (remove it and run "
                             "`hologram stack up` again for a new one)")  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".token-")  # mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
        if path.exists():
            os.replace(temp, path)  # a blank token file: repaired
        else:
            with contextlib.suppress(FileExistsError):  # another process made one first: use theirs
                os.link(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    return path.read_text().strip()


def _blank(path: Path) -> bool:
    """Is `path` a regular file holding nothing but white space (an older version's empty token: no secret in it)?"""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    with os.fdopen(fd, "rb") as handle:
        return stat.S_ISREG(os.fstat(fd).st_mode) and not handle.read(4096).strip()


def _foreign_token_file(path: Path) -> str | None:
    """Why a token file is not the user's own private file (None when it is): whoever else owns or can read it knows
    the token, and a link may point anywhere."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return "a symbolic link"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if info.st_uid != os.getuid():
        return f"owned by another user (uid {info.st_uid})"
    if info.st_mode & 0o077:
        return f"readable or writable by others (mode {stat.S_IMODE(info.st_mode):04o}, expected 0600)"
    if info.st_nlink != 1:
        return f"hard-linked under {info.st_nlink} names"
    return None


def up(
    state_dir: Path = DEFAULT_STATE_DIR,
    reports_dir: Path | None = REPORTS,
    *,
    introspection: bool = True,
    timeout_s: float = START_TIMEOUT_S,
    open_mutations: bool = False,
) -> StackInfo:
    """Start both servers (or reuse running ones in the same token mode), wait until each answers (within
    timeout_s), seed the demo. `open_mutations` serves mutations without a token (`stack up --open`)."""
    state_dir = state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    if not open_mutations:
        read_token(state_dir)  # a token file someone else planted is refused before anything starts
    info = status(state_dir)
    if info is None or info.open_mutations != open_mutations:
        info = _start(state_dir, introspection=introspection, timeout_s=timeout_s, open_mutations=open_mutations)
    if reports_dir is not None:
        public = {"ipfs_api": info.ipfs_api, "graphql_url": info.graphql_url, "started": info.started}
        published = atomic.write_json(Reports(reports_dir).stack, public)
        atomic.write_text(state_dir / PUBLISHED, str(published.resolve()))  # `down` removes it again
    return info


def _start(state_dir: Path, *, introspection: bool, timeout_s: float, open_mutations: bool) -> StackInfo:
    for name in ("ipfs", "marketplace"):
        processes.clear_stale(state_dir, name)
    down(state_dir)  # one half may still run from an earlier start: start both afresh
    binary = kubo.locate()  # before the deadline: a first-time build takes minutes, once
    deadline = time.monotonic() + timeout_s
    try:
        daemon = services.start_ipfs(binary, state_dir, deadline)
        services.wait_answering(lambda: services.ipfs_answers(daemon.api), "IPFS", deadline)
        ipfs_pid, ipfs_api = daemon.pid, daemon.api
        with IpfsClient(ipfs_api) as client:
            ipfs_version = client.version()
        token = read_token(state_dir)
        graphql_pid, graphql_url = services.start_marketplace(
            state_dir, ipfs_api, None if open_mutations else token, introspection=introspection, deadline=deadline
        )
        services.wait_answering(lambda: services.graphql_answers(graphql_url), "GraphQL", deadline)
        started = utc_stamp()
        info = StackInfo(
            ipfs_api,
            graphql_url,
            ipfs_pid,
            graphql_pid,
            str(state_dir),
            started,
            open_mutations,
            ipfs_version=ipfs_version,
            ipfs_gateway=daemon.gateway,
        )
        services.seed_demo_object(info.graphql_url, info.ipfs_api, token)
    except StackError:
        down(state_dir)
        raise
    except ServiceError as exc:
        down(state_dir)
        raise StackError(f"the stack started but misbehaved: {exc}") from None
    atomic.write_json(state_dir / "stack.json", asdict(info))
    return info


def status(state_dir: Path = DEFAULT_STATE_DIR) -> StackInfo | None:
    """The running stack when both processes are ours, alive and answering; else None."""
    state_dir = state_dir.resolve()
    try:
        info = StackInfo(**json.loads((state_dir / "stack.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if not (processes.ours(info.ipfs_pid, state_dir) and processes.ours(info.graphql_pid, state_dir)):
        return None
    try:
        services.ipfs_answers(info.ipfs_api)
        services.graphql_answers(info.graphql_url)
    except ServiceError:
        return None
    return info


# The stack listens on 127.0.0.1; a user who types the seed's `localhost` means the same socket.
_LOOPBACK_NAMES = {"localhost": "127.0.0.1"}
# The only URL shape compared at all: urlsplit and requests/urllib3 disagree on the host of URLs with userinfo,
# backslashes, percent-escapes or whitespace (`http://evil.com` + backslash + `@127.0.0.1:4000/` goes to evil.com),
# so a URL that is not plain never matches (no token for it).
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[A-Za-z0-9._~/-]*)?")


def _same_endpoint(a: str, b: str) -> bool:
    """Do two URLs name the same socket and path (`localhost` read as `127.0.0.1`, a trailing slash ignored)?"""
    from urllib.parse import urlsplit

    def key(url: str) -> tuple[str, str, int | None, str] | None:
        if not _PLAIN_URL.fullmatch(url.strip()):
            return None
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        try:
            port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
        except ValueError:  # a malformed port never matches
            return None
        return (parts.scheme.lower(), _LOOPBACK_NAMES.get(host, host), port, parts.path.rstrip("/"))

    mine = key(a)
    return mine is not None and mine == key(b)


def token_serving(graphql_url: str, state_dirs: list[Path]) -> tuple[Path, str] | None:
    """The token file of a running embedded stack whose marketplace is `graphql_url`, and the URL the stack itself
    recorded (the one to connect to); None for any other URL.

    Only a stack whose marketplace process is alive and was started from that state directory counts: a stale
    stack.json whose port another program took since must never receive the token. The caller connects to the
    recorded URL, never to the user's spelling of it: `localhost` may resolve to `::1` first (Debian's /etc/hosts),
    where another user's listener on the same port would receive the token.
    """
    for state_dir in dict.fromkeys(d.resolve() for d in state_dirs):
        try:
            info = StackInfo(**json.loads((state_dir / "stack.json").read_text()))
        except (OSError, ValueError, TypeError):
            continue
        token = state_dir / "token"
        if (
            _same_endpoint(graphql_url, info.graphql_url)
            and processes.ours(info.graphql_pid, state_dir)
            and _mine(info.graphql_pid)
        ):
            return token, info.graphql_url
    return None


def _mine(pid: int) -> bool:
    """Does the current user own process `pid`? Another account can fake a command line naming our state directory."""
    try:
        return Path(f"/proc/{pid}").stat().st_uid == os.getuid()
    except OSError:
        return False


def private_token(path: Path) -> str | None:
    """The token in `path` when it is the user's own private file: a regular file (not a symlink, one link), owned
    by the current user, mode 0600 or stricter; else None. A planted link to another file must not be sent."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # a planted FIFO must not hang us
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        private = info.st_uid == os.getuid() and not info.st_mode & 0o077 and info.st_nlink == 1
        if not (stat.S_ISREG(info.st_mode) and private):
            return None
        try:
            return handle.read(4096).decode().strip() or None
        except (OSError, UnicodeDecodeError):
            return None


def down(state_dir: Path = DEFAULT_STATE_DIR, grace_s: float = 10.0) -> list[str]:
    """SIGTERM the processes this state directory started (SIGKILL after `grace_s`); names what it stopped."""
    state_dir = state_dir.resolve()
    stopped = []
    for name in ("marketplace", "ipfs"):
        pid_file = state_dir / f"{name}.pid"
        if not pid_file.exists():
            continue
        pid = processes.read_pid(pid_file)
        if processes.ours(pid, state_dir):
            processes.stop(pid, grace_s)
            stopped.append(f"{name} (pid {pid})")
        pid_file.unlink(missing_ok=True)
    _unpublish(state_dir)
    (state_dir / "stack.json").unlink(missing_ok=True)
    return stopped


def _unpublish(state_dir: Path) -> None:
    """Remove the reports/stack.json that `up` wrote (its endpoints would point at nothing now) — only when it is
    still that file: named stack.json and naming this stack's endpoints. `published` is never trusted further."""
    with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
        published = Path((state_dir / PUBLISHED).read_text().strip())
        ours = json.loads((state_dir / "stack.json").read_text())
        written = json.loads(published.read_text())
        same = all(written.get(k) == ours.get(k) for k in ("ipfs_api", "graphql_url", "started"))
        if published.name == "stack.json" and same:
            published.unlink()
    (state_dir / PUBLISHED).unlink(missing_ok=True)


@contextlib.contextmanager
def serving(
    state_dir: Path, environ: dict[str, str] | None = None, *, introspection: bool = True
) -> Iterator[dict[str, str]]:
    """An environment whose IPFS_API / GRAPHQL_URL point at real services: the caller's where set, else the stack's.

    When both are set (a real deployment) nothing is started. A stack started here is stopped on exit; one that
    was already running is left running.
    """
    env = dict(os.environ if environ is None else environ)
    ipfs_api, graphql_url = config.service_endpoints(env)
    if ipfs_api and graphql_url:
        yield env
        return
    was_running = status(state_dir) is not None
    info = up(state_dir, introspection=introspection)
    if not ipfs_api:
        env["IPFS_API"] = info.ipfs_api
    if not graphql_url:
        env.update(GRAPHQL_URL=info.graphql_url, GRAPHQL_TOKEN=read_token(info.state_dir))
    try:
        yield env
    finally:
        if not was_running:
            down(state_dir)


def run(state_dir: Path, command: list[str], *, introspection: bool = True) -> int:
    """Run `command` with the stack's endpoints filling in whichever of IPFS_API / GRAPHQL_URL are unset."""
    with serving(state_dir, introspection=introspection) as env:
        return subprocess.run(command, env=env, check=False).returncode
