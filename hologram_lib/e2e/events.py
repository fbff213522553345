"""events.jsonl: one JSON object per line, appended under a file lock, never rewritten.

Every line is written with one write() while holding an exclusive flock, so two probes appending at once
never interleave or tear a line. Every string value passes through the redactor first.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hologram_lib.clock import utc_stamp
from hologram_lib.errors import InputError
from hologram_lib.outcomes import Step
from hologram_lib.redact import one_line

SUITE = "phase8"
# The probe's steps in the order it runs them, each an event of that name (then `run_end`): the probe runs its
# methods of these names, the summary counts these events.
STEPS = (
    "preflight",
    "manifest",
    "ipfs_publish",
    "ipfs_cat",
    "tamper_check",
    "marketplace_publish",
    "install",
    "resolve",
    "resolve_again",
    "search",
    "uninstall",
    "unpin",
)
MAX_FIELD_CHARS = 200


class EventLog:
    def __init__(self, path: Path, run_id: str, secrets: Iterable[str | None] = ()) -> None:
        self.path = path
        self.run_id = run_id
        self.secrets = [s for s in secrets if s]

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return one_line(value, self.secrets, MAX_FIELD_CHARS)
        if isinstance(value, float):
            return round(value, 3)
        return value

    def emit(self, event: str, status: Step, duration_ms: float | None = None, **fields: Any) -> dict[str, Any]:
        record: dict[str, Any] = {
            "ts": utc_stamp("milliseconds"),  # 2026-11-27T04:19:12.345Z
            "run_id": self.run_id,
            "suite": SUITE,
            "event": event,
            "status": status,
        }
        if duration_ms is not None:
            record["duration_ms"] = round(duration_ms, 3)
        record.update({key: self._clean(value) for key, value in fields.items()})
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line)
        finally:
            os.close(fd)  # closing releases the lock
        return record


@dataclass(frozen=True)
class LogLine:
    line: int
    record: dict[str, Any]


def read_events(path: Path) -> tuple[list[LogLine], list[str]]:
    """The valid events with their line numbers, and one problem line per corrupt line (which is skipped)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("no events: expected an events.jsonl (run `hologram e2e probe`)", path) from None
    except OSError as exc:
        raise InputError(f"cannot read events: {exc.strerror}", path) from None
    events, problems = [], []
    for number, text in enumerate(raw.split(b"\n"), start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: nesting deeper than json handles
            problems.append(f"{path}:{number}: expected one JSON object per line; line skipped")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("event"), str):
            problems.append(f'{path}:{number}: expected an object with an "event" name; line skipped')
            continue
        if not all(isinstance(record.get(field), str) for field in ("ts", "run_id", "status")):
            problems.append(f"{path}:{number}: expected ts, run_id and status as strings; line skipped")
            continue
        events.append(LogLine(number, record))
    return events, problems
