"""Where a counted regression's work went, as `hologram ab --measure instructions` recorded it in ab.json.

One reader of `ab["counted"]["attribution"]` for every output (front page, job summary, Slack / Teams), so that each
names the same functions. The names are outside text (C symbols of the measured target): every sink escapes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hologram_lib.outcomes import Drift
from hologram_lib.paired_documents import AbDocument

SHOWN = 5  # functions per regression: the ones that moved most (the profiles in reports/perf/profiles/ hold all)


@dataclass(frozen=True, kw_only=True)
class MovedFunction:
    name: str
    base_self: float
    head_self: float
    delta_self: float
    share_pct: float
    base_inclusive: float
    head_inclusive: float


def moved_functions(ab: AbDocument | None) -> dict[str, list[MovedFunction]]:
    """Per counted metric that regressed, the functions whose cost moved most (largest share first)."""
    counted = ab.counted if ab is not None else None
    attribution = counted.get("attribution") if isinstance(counted, dict) else None
    if not isinstance(attribution, dict):
        return {}
    moved: dict[str, list[MovedFunction]] = {}
    for key, entry in sorted(attribution.items()):
        if not isinstance(entry, dict) or entry.get("status") != Drift.REGRESSED:
            continue
        functions = [f for f in entry.get("functions") or [] if isinstance(f, dict)]
        if functions:
            moved[str(key)] = [_function(f) for f in functions[:SHOWN]]
    return moved


def _function(f: dict[str, Any]) -> MovedFunction:
    def number(name: str) -> float:
        value = f.get(name)
        return float(value) if isinstance(value, int | float) else float("nan")

    return MovedFunction(
        name=str(f.get("function", "?"))[:80],
        base_self=number("base_self"),
        head_self=number("head_self"),
        delta_self=number("delta_self"),
        share_pct=number("share_pct"),
        base_inclusive=number("base_inclusive"),
        head_inclusive=number("head_inclusive"),
    )


def glance(functions: list[MovedFunction], most: int = 3) -> str:
    """`PyObject_Vectorcall +43 %, PyLong_FromLong +21 %`: the chat message's glance (names not yet escaped)."""
    return ", ".join(f"{f.name} {f.share_pct:+.0f} %" for f in functions[:most])
