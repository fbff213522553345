"""verdict.json read back: the one reader every consumer uses (the notebooks' banner, the history import, the
re-judging of a report's recorded inputs), with one leniency.

A verdict.json is a JSON object whose `passed` is true or false. Anything else — no file, a folder there, bytes that
are not UTF-8, text that is not JSON or nests deeper than json handles, another shape — is *no verdict* (None), never
an error: the file is an output of an earlier run, and each consumer has a way on without it (the banner says there
is no verdict, an imported run's green is unknown, the report is judged from its defaults). `verdict.write_verdict`
writes it; what the document records besides `passed` is checked by the code that uses it (`verdict.read_verdict`
requires its own kind before trusting the recorded inputs).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_verdict(path: Path) -> dict[str, Any] | None:
    """The verdict document at `path`, or None when there is none there (see the module's docstring)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # UnicodeDecodeError is a ValueError; RecursionError: "[" * 10⁵
        return None
    if not isinstance(document, dict) or not isinstance(document.get("passed"), bool):
        return None
    return document
