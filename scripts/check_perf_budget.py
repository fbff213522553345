"""Seed runbook command: `python scripts/check_perf_budget.py` = `hologram gate`."""

from _shim import run

run("gate")
