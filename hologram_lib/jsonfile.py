"""JSON documents read strictly: a key given twice is an error, not "the last one wins" (an edited baseline whose
second "schema" silently turned it into another format passed unnoticed)."""

from __future__ import annotations

import math
from typing import Any


def finite_number(value: object) -> float | None:
    """A finite JSON number as a float, or None (bool, string, 1e999, a 401-digit integer…)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """object_pairs_hook for json.loads: refuse duplicate keys (ValueError, which readers turn into InputError)."""
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise ValueError(f"duplicate key {key[:60]!r}")
        document[key] = value
    return document
