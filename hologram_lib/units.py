"""How a measured quantity is written for a reader: one form on every page, summary, message and log line."""

from __future__ import annotations

import math


def ms(value: float | None, suffix: str = "") -> str:
    """Milliseconds (or a ratio) to three decimals; `—` when there is no value (None, NaN), `∞` for an interval
    without an upper bound (too few runs to bound it). `suffix` follows a number only."""
    if value is None or math.isnan(value):
        return "—"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return f"{value:.3f}{suffix}"
