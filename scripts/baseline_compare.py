"""Seed runbook command: `python scripts/baseline_compare.py` = `hologram baseline compare`."""

from _shim import run

run("baseline", "compare")
