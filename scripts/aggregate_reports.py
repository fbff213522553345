"""Seed runbook command: `python scripts/aggregate_reports.py` = `hologram report --no-collect`."""

from _shim import run

run("report", "--no-collect")
