"""Seed runbook command: `python scripts/summarize_e2e.py` = `hologram e2e summary`."""

from _shim import run

run("e2e", "summary")
