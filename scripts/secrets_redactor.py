"""Seed runbook command: `python scripts/secrets_redactor.py [--check FILE…]` = `hologram redact` (a filter on stdin;
with --check, exit 1 when a file holds a secret — a pre-commit hook)."""

from _shim import run

run("redact")
