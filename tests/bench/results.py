"""The benchmarks' results file, docs/bench/results.json: what `make bench` measured, the only source of the figures
the documentation quotes (tests/bench/macros.py reads it when the site is built).

One entry per figure under a stable id `<script>.<name>` (`report.render` comes from bench_report.py): the median,
min and max over the repeats, each repeat's value, the unit, when and at what load average it was measured, the commit,
and the SHA-256 of the bench script that measured it. A script that changes after its figures were measured makes them
stale: the docs build fails naming the figure and the command that measures it again.

Each bench script records its own figures, merged by id into the file (one script can be re-run alone); the file is
replaced atomically, under a lock, so two scripts run at once both land.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shlex
import statistics
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hologram_lib.atomic import write_text

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "docs" / "bench" / "results.json"
SCHEMA = 1


@dataclass(frozen=True)
class Figure:
    """One measured figure: `name` is its part of the id (`render` in `report.render`), `label` says what it is."""

    name: str
    label: str
    target: str
    values: Sequence[float]
    unit: str


def script_id(script: Path) -> str:
    """`report` for tests/bench/bench_report.py: the first part of its figures' ids."""
    return script.stem.removeprefix("bench_")


def script_sha256(script: Path) -> str:
    return hashlib.sha256(script.read_bytes()).hexdigest()


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def _provenance(script: Path, root: Path) -> dict[str, Any]:
    """What every figure of one run of a script shares: when, how loaded the machine was, which code."""
    changed = _git(root, "status", "--porcelain", "--", "hologram_lib", "tests/bench")
    relative = script.resolve().relative_to(root.resolve()).as_posix()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "load_average": [round(x, 2) for x in os.getloadavg()],  # 1, 5 and 15 minutes, at the end of the run
        "commit": _git(root, "rev-parse", "HEAD"),
        "uncommitted_changes": bool(changed),
        "script": relative,
        "script_sha256": script_sha256(script),
        "command": shlex.join([".venv/bin/python", relative, *sys.argv[1:]]),
    }


def entry(figure: Figure, provenance: dict[str, Any]) -> dict[str, Any]:
    values = [float(v) for v in figure.values]
    return {
        "label": figure.label,
        "target": figure.target,
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "unit": figure.unit,
        "repeats": len(values),
        "values": values,
        **provenance,
    }


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on the results' folder (no lock file to commit or clean up)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def read(path: Path = RESULTS) -> dict[str, dict[str, Any]]:
    """The figures by id; an empty dict when nothing was recorded yet."""
    if not path.exists():
        return {}
    document = json.loads(path.read_text())
    if document.get("schema") != SCHEMA:
        raise ValueError(f"{path}: schema {document.get('schema')!r}, expected {SCHEMA}")
    figures: dict[str, dict[str, Any]] = document["figures"]
    return figures


def record(script: Path, figures: Sequence[Figure], path: Path = RESULTS, root: Path = ROOT) -> None:
    """Merge one run's figures into the results file by id (other scripts' figures are kept); `script` is a file of
    the project at `root`."""
    provenance = _provenance(script, root)
    prefix = script_id(script)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path.parent):
        merged = read(path)
        merged.update({f"{prefix}.{f.name}": entry(f, provenance) for f in figures})
        document = {"schema": SCHEMA, "figures": merged}
        write_text(path, json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n")  # µ, ≤ as is


def stale_reason(figure_id: str, found: dict[str, Any], root: Path = ROOT) -> str | None:
    """Why a recorded figure cannot be quoted any more (its script changed or is gone), or None."""
    script = root / found["script"]
    if not script.exists():
        return f"figure {figure_id!r}: its bench script {found['script']} is gone"
    if script_sha256(script) != found["script_sha256"]:
        return (
            f"figure {figure_id!r} is stale: {found['script']} changed since it was measured on {found['date']}; "
            f"measure it again with `{found['command']}` (or `make bench`)"
        )
    return None
