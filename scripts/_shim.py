"""Run a `hologram` subcommand from a seed script path, from the repo root, in or out of the venv."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def run(*command: str) -> None:
    from hologram_lib.cli import main

    sys.exit(main([*command, *sys.argv[1:]]))
