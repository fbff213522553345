"""The times every file carries and the ids of runs, each in one format: UTC, ISO 8601 with a `Z`.

A run id starts with the time it was made (`20261206T072527Z-1a2b3c4d`), so the history store can date a run from
its id alone (`run_id_time`), whichever command made it (a perf collect, an E2E probe, a report).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

RUN_ID_TIME = "%Y%m%dT%H%M%SZ"


def utc_stamp(timespec: Literal["seconds", "milliseconds"] = "seconds") -> str:
    """Now in UTC: `2026-11-27T04:19:12Z`, or `2026-11-27T04:19:12.345Z` with milliseconds."""
    return datetime.now(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def new_run_id() -> str:
    """A new run's id: the UTC time, then 8 random hex digits (two runs in one second stay apart)."""
    return f"{datetime.now(UTC):{RUN_ID_TIME}}-{uuid.uuid4().hex[:8]}"


def run_id_time(run_id: str) -> datetime | None:
    """When a run id made by `new_run_id` was made (naive UTC), None for any other id."""
    try:
        return datetime.strptime(run_id.partition("-")[0], RUN_ID_TIME)
    except ValueError:
        return None
