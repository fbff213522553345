"""Where the embedded stack's Kubo binary comes from, in this order: HOLOGRAM_KUBO (a path), `ipfs` on PATH when it
is Kubo >= 0.30, a build cached outside the checkout, else a build made once now with Go.

The version built is pinned in one place, `kubo-build/go.mod` (a module that only requires Kubo, with go.sum
pinning every dependency's checksum). Kubo's own go.mod replaces go-libp2p by a fork the Go module proxy does not
serve, so `go install github.com/ipfs/kubo/cmd/ipfs@v…` cannot build here; a dependency's replace directives are
ignored when Kubo is built from another module, which is why the build goes through that one. A build writes to a
temporary name and is renamed into place only once it ran and reported the pinned version, and its SHA-256 is
recorded beside it: a half-written or altered binary is never run, it is built again.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from hologram_lib import atomic, config
from hologram_lib.errors import KuboUnavailable

BUILD_MODULE = Path(__file__).with_name("kubo-build")
KUBO_PACKAGE = "github.com/ipfs/kubo/cmd/ipfs"
MIN_VERSION = (0, 30)
BUILD_TIMEOUT_S = 3600.0  # a cold build on a loaded 2-core machine takes minutes; a hung one must still end
PROGRESS_EVERY_S = 10.0
_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Kubo:
    path: Path
    version: str
    source: str  # HOLOGRAM_KUBO, PATH, cache or build


def say(line: str) -> None:
    """Progress goes to stderr: stdout of `stack up` is the export lines a shell evaluates."""
    print(f"kubo: {line}", file=sys.stderr, flush=True)


def pinned_version() -> str:
    """The Kubo version kubo-build/go.mod requires (the one place it is pinned)."""
    found = re.search(r"^\s*github\.com/ipfs/kubo v(\S+)", (BUILD_MODULE / "go.mod").read_text(), re.MULTILINE)
    assert found, f"{BUILD_MODULE / 'go.mod'} does not require github.com/ipfs/kubo"
    return found.group(1)


def version_of(binary: Path) -> str | None:
    """The version a Kubo binary reports (`ipfs version --number`), or None when it is not a program that answers
    like Kubo (not executable, not found, another program, hung)."""
    try:
        done = subprocess.run(
            [str(binary), "version", "--number"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    answer = done.stdout.strip()
    return answer if done.returncode == 0 and _VERSION.fullmatch(answer) else None


def recent_enough(version: str) -> bool:
    found = _VERSION.fullmatch(version)
    return found is not None and (int(found.group(1)), int(found.group(2))) >= MIN_VERSION


def _required() -> str:
    return ".".join(map(str, MIN_VERSION))


def cached_binary(cache_dir: Path, version: str) -> Path:
    return cache_dir / f"kubo-{version}" / "ipfs"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _checksum_file(binary: Path) -> Path:
    return binary.with_name(binary.name + ".sha256")


def _intact(binary: Path) -> bool:
    """A cached build is used only when its recorded checksum matches (no half-written or altered binary runs)."""
    try:
        recorded = _checksum_file(binary).read_text().split()[0]
        return binary.is_file() and recorded == _sha256(binary)
    except (OSError, IndexError):
        return False


def locate(environ: Mapping[str, str] | None = None, progress: Progress = say) -> Kubo:
    """The Kubo to run, built now when there is none (see the module's docstring for the order)."""
    explicit, cache_dir = config.kubo_sources(environ)
    if explicit is not None:
        return _explicit(explicit)
    found = shutil.which("ipfs")
    if found is not None:
        version = version_of(Path(found))
        if version is not None and recent_enough(version):
            return Kubo(Path(found), version, "PATH")
        what = f"Kubo {version}" if version else "not Kubo"
        progress(f"not using {found} from PATH: {what} (needs Kubo >= {_required()})")
    pinned = pinned_version()
    cached = cached_binary(cache_dir, pinned)
    if _intact(cached):
        return Kubo(cached, pinned, "cache")
    return build(pinned, cached, progress)


def _explicit(binary: Path) -> Kubo:
    if not binary.is_file() or not os.access(binary, os.X_OK):
        raise KuboUnavailable(f"HOLOGRAM_KUBO={binary}: expected an executable Kubo binary, found no such program")
    version = version_of(binary)
    if version is None:
        raise KuboUnavailable(f"HOLOGRAM_KUBO={binary}: expected a Kubo binary, but `version --number` did not answer")
    if not recent_enough(version):
        raise KuboUnavailable(f"HOLOGRAM_KUBO={binary}: Kubo {version} is too old (expected Kubo >= {_required()})")
    return Kubo(binary, version, "HOLOGRAM_KUBO")


def no_kubo_message(version: str, target: Path) -> str:
    return (
        f"no Kubo for the embedded IPFS node and no Go to build one: set HOLOGRAM_KUBO to a Kubo >= {_required()} "
        f"binary, put Kubo's `ipfs` (>= {_required()}) on PATH, or install Go so that Kubo {version} is built once "
        f"into {target}"
    )


@contextlib.contextmanager
def _build_lock(directory: Path) -> Iterator[None]:
    """One build at a time per cache directory (two `stack up` at once: the second waits, then uses the first's)."""
    with (directory / ".build.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def build(version: str, target: Path, progress: Progress = say) -> Kubo:
    """Build Kubo `version` into `target` (once: under a lock, another process's finished build is used)."""
    go = shutil.which("go")
    if go is None:
        raise KuboUnavailable(no_kubo_message(version, target))
    target.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(target.parent):
        if _intact(target):
            return Kubo(target, version, "cache")
        temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            seconds = _go_build(go, version, temp, target.parent / "build.log", progress)
            built = version_of(temp)
            if built != version:
                raise KuboUnavailable(
                    f"{BUILD_MODULE / 'go.mod'}: the build reports Kubo {built}, expected the pinned {version}"
                )
            checksum = _sha256(temp)
            os.replace(temp, target)
            atomic.write_text(_checksum_file(target), f"{checksum}  ipfs\n")
        finally:
            temp.unlink(missing_ok=True)
    progress(f"built Kubo {version} in {seconds:.0f} s (a one-off): {target} sha256 {checksum}")
    return Kubo(target, version, "build")


def _go_build(go: str, version: str, output: Path, log_path: Path, progress: Progress) -> float:
    """`go build` of Kubo's command from the pinning module, its progress said every few seconds (also while Go
    links, silently); the build's own output goes to `log_path`. Returns the seconds it took."""
    progress(f"building Kubo {version} with {go} (one-off, minutes on a cold machine); log: {log_path}")
    env = {**os.environ, "GOWORK": "off", "GOFLAGS": "-mod=readonly"}  # a user's go.work / -mod must not apply
    argv = [go, "build", "-v", "-trimpath", "-o", str(output), KUBO_PACKAGE]
    start = time.monotonic()
    counts = {"downloaded": 0, "compiled": 0}
    done = threading.Event()

    def tick() -> None:
        while not done.wait(PROGRESS_EVERY_S):
            elapsed = time.monotonic() - start
            progress(
                f"… {elapsed:.0f} s: {counts['downloaded']} modules downloaded, {counts['compiled']} packages built"
            )

    ticker = threading.Thread(target=tick, daemon=True)
    with (
        log_path.open("w") as log,
        subprocess.Popen(
            argv, cwd=BUILD_MODULE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as child,
    ):
        assert child.stdout is not None
        ticker.start()
        try:
            for line in child.stdout:
                log.write(line)
                if line.startswith("go: downloading"):
                    counts["downloaded"] += 1
                elif not line.startswith(("go:", "#")):
                    counts["compiled"] += 1
            code = child.wait(timeout=max(1.0, BUILD_TIMEOUT_S - (time.monotonic() - start)))
        except BaseException:
            child.kill()
            child.wait()
            raise
        finally:
            done.set()
            ticker.join()
    if code != 0:
        tail = " | ".join(log_path.read_text(errors="replace").strip().splitlines()[-3:])
        raise KuboUnavailable(f"building Kubo failed (go build exit {code}; full log {log_path}): {tail}")
    return time.monotonic() - start
