"""Seed runbook command: `python scripts/cache_profiler.py` = `hologram perf profiles` (cold / warm ratios)."""

from _shim import run

run("perf", "profiles")
