"""The lane guard's eyes: which process starts put a test in the `stack`, `notebook`, `browser` or `process` lane.

Loaded two ways: by tests/lanes.py in the pytest process, and — through the PYTHONPATH entry tests/lanes.py puts
first — as `sitecustomize` in every Python process a test starts (the CLI a test runs, the marketplace it spawns,
JupyterLab, papermill), so a start two processes down is seen too. An audit hook (PEP 578) watches process starts
and appends one line per start of a lane's process to the file $HOLOGRAM_TEST_LANE_LOG: `<lane>\t<what>`.
Self-contained on purpose: a child process may not have the project on its path.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

LANE_LOG = "HOLOGRAM_TEST_LANE_LOG"
# The audit events that start a program (subprocess / asyncio, the dev stack's posix_spawn, os.exec*).
_STARTS = {"subprocess.Popen": 1, "os.posix_spawn": 1, "os.exec": 1, "os.spawn": 2}
_MARKETPLACE = "hologram_lib.devstack.server"
_KERNEL = "ipykernel_launcher"
_JUPYTER_SERVERS = {"jupyter-lab", "jupyter-server", "jupyter-notebook"}
_BROWSERS = {"chromium", "chromium-browser", "chrome", "headless_shell"}


def lane_of(argv: Sequence[str]) -> str | None:
    """The lane a program with this command line belongs to, or None when it is none of theirs."""
    if not argv:
        return None
    program = os.path.basename(argv[0])
    if "daemon" in argv and (program in {"ipfs", "kubo"} or "--repo-dir" in argv):
        return "stack"  # a Kubo node (the dev stack's, whatever HOLOGRAM_KUBO calls it, or a test's own)
    if _MARKETPLACE in argv:
        return "stack"  # the reference marketplace as a process
    if any(os.path.basename(arg).removesuffix(".py") == _KERNEL for arg in argv):
        return "notebook"  # a Jupyter kernel: papermill, nbclient or JupyterLab executes a notebook
    if program in _JUPYTER_SERVERS or (program in {"jupyter", "make"} and "lab" in argv[1:]):
        return "notebook"  # JupyterLab (`jupyter lab`, `make lab`)
    if program in _BROWSERS or "run-driver" in argv:
        return "browser"  # Chromium, or Playwright's driver that launches it
    if _runs_the_product(program, argv):
        return "process"
    return None


def _runs_the_product(program: str, argv: Sequence[str]) -> bool:
    """`hologram …`, `python -m hologram_lib.…` (the CLI, a measuring worker), `python|bash scripts/…`."""
    modules = [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == "-m"]
    scripts = [arg for arg in argv[1:] if os.path.basename(os.path.dirname(arg)) == "scripts"]
    return program == "hologram" or any(m.startswith("hologram_lib") for m in modules) or bool(scripts)


def _argv(event: str, args: tuple[object, ...]) -> list[str]:
    value = args[_STARTS[event]]
    if isinstance(value, (str, bytes, os.PathLike)):
        return [os.fsdecode(value)]
    return [os.fsdecode(part) for part in value] if isinstance(value, (list, tuple)) else []  # type: ignore[arg-type]


def install(log_path: str) -> None:
    """Append `<lane>\t<program and first arguments>` to log_path for every start of a lane's process."""

    def hook(event: str, args: tuple[object, ...]) -> None:
        if event not in _STARTS:
            return
        argv = _argv(event, args)
        lane = lane_of(argv)
        if lane is None:
            return
        what = " ".join([os.path.basename(argv[0]), *argv[1:4]])[:160]  # never the environment (tokens)
        line = f"{lane}\t{what}\n".encode()
        descriptor = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, line)  # one short O_APPEND write: lines from parallel processes never interleave
        finally:
            os.close(descriptor)

    sys.addaudithook(hook)


if __name__ == "sitecustomize" and os.environ.get(LANE_LOG):
    install(os.environ[LANE_LOG])
