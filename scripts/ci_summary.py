"""Seed runbook command: `python scripts/ci_summary.py` = `hologram summary` (Markdown for $GITHUB_STEP_SUMMARY)."""

from _shim import run

run("summary")
