"""The workflow's post-gate step: `python scripts/ci_outputs.py [--dry-run]` = `hologram ci-outputs`."""

from _shim import run

run("ci-outputs")
