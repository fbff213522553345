"""The verdict vocabulary, one StrEnum per kind of verdict, shared by the gate, drift, the A/B, E2E and the charts,
and how posting a result went (Posting). A member is its string ("regressed"), so JSON documents and older readers
see the same words as before."""

from __future__ import annotations

from enum import StrEnum


class Budget(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    MISSING = "missing"
    SKIPPED = "skipped"


class Drift(StrEnum):
    REGRESSED = "regressed"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    INCONCLUSIVE = "inconclusive"
    NEW = "new"
    GONE = "gone"
    SKIPPED = "skipped"


class Step(StrEnum):
    """An E2E step or run."""

    OK = "ok"
    FAIL = "fail"
    SKIP = "skip"
    INCOMPLETE = "incomplete"


class Posting(StrEnum):
    """How posting a notification (a webhook) or the PR comment went."""

    SENT = "sent"
    CREATED = "created"
    UPDATED = "updated"
    SKIPPED = "skipped"
    FAILED = "failed"
    DRY_RUN = "dry run"  # `notify --dry-run`: the payload written, nothing posted
