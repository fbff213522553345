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
    r"|authorization|sig|signature)"
)
_CREDENTIAL = r"[A-Za-z0-9._~+/=-]+"
# Hosts whose URL path/query is itself the credential (Slack, Teams/Workflows webhooks): anyone holding it can post.
_WEBHOOK_HOST = (
    r"(?:hooks\.slack\.com|[A-Za-z0-9-]+\.webhook\.office\.com|[A-Za-z0-9.-]+\.logic\.azure\.com"
    r"|[A-Za-z0-9.-]+\.environment\.api\.powerplatform\.com)"
)
_PATTERNS = [
    # Webhook URLs: the host is kept (says which service), the path and query go.
    (re.compile(rf"(?i)(https?://{_WEBHOOK_HOST}(?::\d+)?)/[^\s\"'<>)\]]+"), rf"\1/{MASK}"),
    # An Authorization header's credential, whatever the scheme word (Bearer, Basic, GitHub's "token", ...).
    (re.compile(rf"""(?i)(\bauthorization["']?\s*[:=]\s*["']?[A-Za-z-]+\s+){_CREDENTIAL}"""), rf"\1{MASK}"),
    # Bearer / Basic credentials elsewhere: only credential-shaped words (a digit or punctuation, or long), so
    # prose such as "basic sanity checks" is kept.
    (
        re.compile(rf"(?i)\b(bearer|basic)\s+(?=[A-Za-z]*[0-9._~+/=-]|[A-Za-z]{{20}}){_CREDENTIAL}"),
        rf"\1 {MASK}",
    ),
    # key=value / key: value / "key": "value" for secret-like keys: the whole value.
    # (Not a scheme word: "Authorization: Bearer <token>" is the previous pattern's, which keeps a placeholder.)
    (
        re.compile(rf"""(?i)(["']?\b{_SECRET_KEY}["']?\s*[:=]\s*["']?)(?!(?:bearer|basic)\b)[^\s"'&,;}}]+"""),
        rf"\1{MASK}",
    ),
    # JWTs anywhere (three base64url parts, the first two starting with '{"' encoded).
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), MASK),
    # GitHub tokens (classic ghp_/gho_/ghu_/ghs_/ghr_ and fine-grained github_pat_) and Slack API tokens.
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abposr]-[A-Za-z0-9-]{10,})"), MASK),
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
