"""What machine measured a run: its kind (the history keeps runs of different kinds apart) and its name."""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from pathlib import Path

from hologram_lib.config import environment


def fingerprint() -> str:
    """What kind of machine measured a run: OS, architecture, CPU model and count (runs from different machine kinds
    are not comparable levels; the history keeps them apart by this string)."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                model = " ".join(line.partition(":")[2].split())
                break
    except OSError:
        model = platform.processor()
    return f"{platform.system()} {platform.machine()} {os.cpu_count()}×{model or 'unknown CPU'}"


def runner_name(environ: Mapping[str, str] | None = None) -> str:
    """The CI runner's name in Actions, else this host's name."""
    return environment(environ).get("RUNNER_NAME") or platform.node()
