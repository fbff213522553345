"""counted.json as the judge reads it: which metric keys are counts, the toolchain fingerprint the counts were taken
with, and whether two fingerprints are comparable. The counting itself (valgrind, callgrind) is `perf.counted`;
this file format is apart from it so that reading counts back never loads the code that takes them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from hologram_lib.errors import InputError
from hologram_lib.layout import PerfDir

KIND = "hologram-counted/1"
COUNTED_SUFFIXES = ("_instructions", "_est_cycles")


def is_counted(key: str) -> bool:
    """A counted metric (`<suite>.<name>_instructions` / `_est_cycles`): judged as a count, not as a latency."""
    return key.endswith(COUNTED_SUFFIXES)


def fingerprint_difference(base: Mapping[str, str] | None, head: Mapping[str, str] | None) -> str | None:
    """None when two fingerprints are equal, else one line naming what differs (counts are then incomparable)."""
    if base is None or head is None:
        side = "baseline" if base is None else "current run"
        return f"the {side} recorded no toolchain fingerprint with its counts"
    differing = sorted(set(base) | set(head))
    parts = [
        f"{k} {base.get(k, '?')!s:.60} → {head.get(k, '?')!s:.60}" for k in differing if base.get(k) != head.get(k)
    ]
    if not parts:
        return None
    return "counts from another toolchain are not comparable: " + "; ".join(parts)


def read_counted(perf_dir: Path) -> dict[str, object] | None:
    """counted.json, or None when this perf folder has no counted measurement; a bad one is an InputError."""
    path = PerfDir(perf_dir).counted
    if not path.exists():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(f"cannot read it as JSON ({type(exc).__name__})", path) from None
    if (
        not isinstance(document, dict)
        or document.get("kind") != KIND
        or not isinstance(document.get("fingerprint"), dict)
        or not isinstance(document.get("metrics"), dict)
    ):
        raise InputError(f'expected a "{KIND}" document with "fingerprint" and "metrics"', path)
    return document
