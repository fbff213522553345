"""The status badge: reports/badge.svg (self-contained, no font or image fetched) and a shields.io endpoint JSON.

Green only when the gate (`make gate`: budgets, drift, E2E) passed and the latest E2E run passed; red when either
failed; grey when either is unknown (a report that could not be judged, no E2E run, or one that was skipped).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

from hologram_lib import atomic
from hologram_lib.ci.facts import Facts

LABEL = "hologram gate"


@dataclass(frozen=True)
class Badge:
    message: str
    color: str  # shields.io's colour name
    hex: str

    def endpoint(self) -> dict[str, object]:
        """https://shields.io/badges/endpoint-badge: `https://img.shields.io/endpoint?url=<where this is served>`."""
        return {"schemaVersion": 1, "label": LABEL, "message": self.message, "color": self.color}


PASSING = Badge("passing", "brightgreen", "#4c1")
FAILING = Badge("failing", "red", "#e05d44")
UNKNOWN = Badge("unknown", "lightgrey", "#9f9f9f")


def badge_for(facts: Facts) -> Badge:
    gate, e2e = facts.gate_failed, facts.e2e_failed
    if gate is True or e2e is True:
        return FAILING
    if gate is False and e2e is False:
        return PASSING
    return UNKNOWN


def _text_width(text: str) -> int:
    """Verdana 11 px averages ≈6.6 px per character (shields' own layout is within a few pixels of this)."""
    return round(6.6 * len(text)) + 10


def svg(badge: Badge) -> str:
    left, right = _text_width(LABEL), _text_width(badge.message)
    total = left + right
    label, message = escape(LABEL), escape(badge.message)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{label}: {message}"><title>{label}: {message}</title>'
        f'<rect width="{left}" height="20" rx="3" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" rx="3" fill="{badge.hex}"/>'
        f'<rect x="{left}" width="4" height="20" fill="{badge.hex}"/>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2}" y="14">{label}</text><text x="{left + right / 2}" y="14">{message}</text>'
        "</g></svg>\n"
    )


def write_badge(facts: Facts, svg_path: Path, json_path: Path) -> Badge:
    badge = badge_for(facts)
    atomic.write_text(svg_path, svg(badge))
    atomic.write_json(json_path, badge.endpoint())
    return badge
