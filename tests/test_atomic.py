"""Atomic writes: whole files, the usual permissions, an existing file's mode kept, no temp file left."""

from __future__ import annotations

import os
from pathlib import Path

from hologram_lib import atomic


def test_new_file_gets_umask_permissions_and_existing_mode_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "report.json"
    atomic.write_json(target, {"p95": float("inf"), "n": 3})
    assert target.read_text() == '{\n  "p95": null,\n  "n": 3\n}\n'
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    target.chmod(0o600)
    atomic.write_text(target, "again")
    assert target.stat().st_mode & 0o777 == 0o600 and target.read_text() == "again"
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]
