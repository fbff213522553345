"""Secret redaction, applied at every sink (events, logs, reports, notifications).

A secret is replaced whole — never partially kept, never with "[REDACTED]" appended after it. Known secret
values (the configured token) are removed wherever they appear; common shapes (Bearer / Basic credentials,
key=value pairs named like secrets, JWTs, passwords in URLs) are removed by pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "[REDACTED]"
_SECRET_KEY = (
    r"(?:api[_-]?key|apikey|access[_-]?token|auth[_-]?token|token|secret|password|passwd|pwd|session|cookie"
    r"|authorization)"
)
_PATTERNS = [
    # Authorization headers and schemes: the whole credential after the scheme.
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {MASK}"),
    # key=value / key: value / "key": "value" for secret-like keys: the whole value.
    # (Not a scheme word: "Authorization: Bearer <token>" is the previous pattern's, which keeps a placeholder.)
    (
        re.compile(rf"""(?i)(["']?\b{_SECRET_KEY}["']?\s*[:=]\s*["']?)(?!(?:bearer|basic)\b)[^\s"'&,;}}]+"""),
        rf"\1{MASK}",
    ),
    # JWTs anywhere (three base64url parts, the first two starting with '{"' encoded).
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), MASK),
    # user:password@ in URLs.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@"), rf"\1{MASK}@"),
]


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with every known secret value and every secret-shaped substring replaced by [REDACTED]."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
            if secret.lower().startswith("bearer "):
                text = text.replace(secret[7:].strip(), MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def one_line(text: str, secrets: Iterable[str | None] = (), limit: int = 300) -> str:
    """Redacted, whitespace-collapsed, bounded: safe to put in an event or a log line."""
    flat = " ".join(redact(str(text), secrets).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def secret_lines(text: str) -> list[int]:
    """The 1-based numbers of the lines holding a secret-shaped value (the lines redact would change)."""
    return [number for number, line in enumerate(text.splitlines(), 1) if redact(line) != line]
