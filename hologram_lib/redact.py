"""Secret redaction, applied at every sink (events, logs, reports, notifications).

A secret is replaced whole — never partially kept, never with "[REDACTED]" appended after it. Known secret
values (the configured token, the webhook URLs) are removed wherever they appear; common shapes are removed by
pattern: credentials in an Authorization header or after Bearer / Basic, values of keys named like secrets
(`refresh_token`, `client_secret`, `private_key`, `session_id`, `aws_secret_access_key`, …, quoted or not), PEM
private-key blocks, JWTs, passwords in URLs, and the prefixed tokens of common providers (the rule shapes of
gitleaks and Yelp's detect-secrets: GitHub, Slack, AWS, Google, Stripe, npm, PyPI, GitLab, SendGrid).

No entropy rule: a CID, a SHA-256 digest or a run id is as random as a secret, and they must stay readable
(measured: tests/test_redact.py's corpus; detect-secrets' entropy plugins flag every CID and digest in it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from hologram_lib.errors import InputError

MASK = "[REDACTED]"
# The words that name a secret in a key; a key is one of them with any prefix (`refresh_token`, `csrftoken`,
# `HOLOGRAM_MARKETPLACE_TOKEN`) and an optional `_key` / `_id` / `_access_key` tail (`secret_access_key`).
_SECRET_WORD = (
    r"(?:api[_-]?key|apikey|access[_-]?token|auth[_-]?token|token|secret|password|passwd|passphrase|pwd"
    r"|session|cookie|authorization|sig|signature|credentials?|private[_-]?key|account[_-]?key|x-api-key)"
)
_SECRET_KEY = rf"(?:\b[A-Za-z0-9_.-]*?{_SECRET_WORD}(?:[_-]?(?:access[_-]?key|key|id|value|hash))?)"
_CREDENTIAL = r"[A-Za-z0-9._~+/=-]+"
_NOT_A_SCHEME = r"(?!(?:bearer|basic)\b)"
# Hosts whose URL path/query is itself the credential (Slack, Teams/Workflows webhooks): anyone holding it can post.
_WEBHOOK_HOST = (
    r"(?:hooks\.slack\.com|[A-Za-z0-9-]+\.webhook\.office\.com|[A-Za-z0-9.-]+\.logic\.azure\.com"
    r"|[A-Za-z0-9.-]+\.environment\.api\.powerplatform\.com)"
)
# A PEM private key: its BEGIN line, the base64 (and Proc-Type / DEK-Info header) lines after it, and its END line
# when there is one (a log may be cut inside the key). Lines may be real or JSON-escaped (`\n`) newlines, or spaces
# (one_line collapses them). A line that is not base64 ends a cut block: the log after it stays readable.
_PEM_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_PEM_BODY_LINE = re.compile(r"\s*(?:[A-Za-z0-9+/=]+|(?:Proc-Type|DEK-Info|Comment):[^\n]*)?\s*")
_PEM = re.compile(
    rf"({_PEM_BEGIN.pattern})(?!\[REDACTED\])"
    r"(?:(?:\\n|\r?\n|[ \t])+(?:[A-Za-z0-9+/=]+|(?:Proc-Type|DEK-Info|Comment):[^\n\\]*))*"
    rf"(?:(?:\\n|\r?\n|[ \t])*({_PEM_END.pattern}))?"
)
# Provider tokens whose prefix says what they are (shapes as in gitleaks' and detect-secrets' rules).
_PROVIDER_TOKEN = (
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}"
    r"|(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}|[rs]k_(?:live|test)_[0-9A-Za-z]{16,}"
    r"|npm_[A-Za-z0-9]{36}|pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}|glpat-[A-Za-z0-9_-]{20,}"
    r"|SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?![A-Za-z0-9])"
)
_Replacement = str | Callable[[re.Match[str]], str]
_PATTERNS: list[tuple[re.Pattern[str], _Replacement]] = [
    (_PEM, lambda m: f"{m.group(1)}{MASK}{m.group(2) or ''}"),
    # Webhook URLs: the host is kept (says which service), the path and query go.
    (re.compile(rf"(?i)(https?://{_WEBHOOK_HOST}(?::\d+)?)/(?!\[REDACTED\])[^\s\"'<>)\]]+"), rf"\1/{MASK}"),
    # An Authorization header's credential, whatever the scheme word (Bearer, Basic, GitHub's "token", ...).
    (re.compile(rf"""(?i)(\bauthorization["']?\s*[:=]\s*["']?[A-Za-z-]+\s+){_CREDENTIAL}"""), rf"\1{MASK}"),
    # Bearer / Basic credentials elsewhere: only credential-shaped words (a digit or punctuation, or long), so
    # prose such as "basic sanity checks" is kept.
    (
        re.compile(rf"(?i)\b(bearer|basic)\s+(?=[A-Za-z]*[0-9._~+/=-]|[A-Za-z]{{20}}){_CREDENTIAL}"),
        rf"\1 {MASK}",
    ),
    # "key": "value with spaces" / key='…' for secret-like keys: everything inside the quotes (a JSON string may
    # hold a whole PEM key with escaped newlines).
    (
        re.compile(rf"""(?i)(["']?{_SECRET_KEY}["']?\s*[:=]\s*)(["']){_NOT_A_SCHEME}(?:\\.|(?!\2).)+\2"""),
        rf"\1\2{MASK}\2",
    ),
    # key=value / key: value for secret-like keys: the whole value.
    # (Not a scheme word: "Authorization: Bearer <token>" is the header pattern's, which keeps a placeholder.)
    (
        re.compile(rf"""(?i)(["']?{_SECRET_KEY}["']?\s*[:=]\s*["']?){_NOT_A_SCHEME}(?!\[REDACTED\])[^\s"'&,;}}]+"""),
        rf"\1{MASK}",
    ),
    # `--token VALUE` / `--password VALUE` on a command line.
    (re.compile(rf"(?i)(--{_SECRET_KEY}\s+)(?!-)[^\s\"']+"), rf"\1{MASK}"),
    # JWTs anywhere (three base64url parts, the first two starting with '{"' encoded).
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), MASK),
    (re.compile(_PROVIDER_TOKEN), MASK),
    # user:password@ in URLs.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@"), rf"\1{MASK}@"),
]


def _known(secrets: Iterable[str | None]) -> list[str]:
    """Each known secret, and the credential of a `Bearer …` one on its own; longest first (a secret that contains
    another is removed whole)."""
    values: set[str] = set()
    for secret in secrets:
        if secret and len(secret.strip()) >= 4:
            values.add(secret)
            if secret.lower().startswith("bearer ") and len(secret[7:].strip()) >= 4:
                values.add(secret[7:].strip())
    return sorted(values, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with every known secret value and every secret-shaped substring replaced by [REDACTED]."""
    for secret in _known(secrets):
        text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_lines(lines: Iterable[str], secrets: Iterable[str | None] = ()) -> Iterator[str]:
    """A stream of lines redacted line by line (a log stays live), except that a PEM private-key block is held
    until its END line (or the end of the stream) and redacted whole."""
    known = list(secrets)
    held: list[str] = []
    for line in lines:
        if held and not _PEM_END.search(line) and not _PEM_BODY_LINE.fullmatch(line):
            yield redact("".join(held), known)  # a block cut short: what follows is ordinary text again
            held = []
        begins = _PEM_BEGIN.search(line)
        if held or (begins and not _PEM_END.search(line, begins.end())):
            held.append(line)
            if len(held) > 1 and _PEM_END.search(line):
                yield redact("".join(held), known)
                held = []
            continue
        yield redact(line, known)
    if held:
        yield redact("".join(held), known)


def one_line(text: str, secrets: Iterable[str | None] = (), limit: int = 300) -> str:
    """Redacted, whitespace-collapsed, bounded: safe to put in an event or a log line."""
    flat = " ".join(redact(str(text), secrets).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def secret_lines(text: str, secrets: Iterable[str | None] = ()) -> list[int]:
    """The 1-based numbers of the lines holding a secret or a secret-shaped value (every line of a PEM block)."""
    known = _known(secrets)
    spans = [(m.start(), m.end()) for secret in known for m in re.finditer(re.escape(secret), text)]
    spans += [
        (m.start(), m.end())
        for pattern, replacement in _PATTERNS
        for m in pattern.finditer(text)
        if (replacement(m) if callable(replacement) else m.expand(replacement)) != m.group()
    ]
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    lines: set[int] = set()
    for start, end in spans:
        first = _line_of(starts, start)
        lines.update(range(first, _line_of(starts, max(start, end - 1)) + 1))
    return sorted(lines)


def _line_of(starts: list[int], offset: int) -> int:
    from bisect import bisect_right

    return bisect_right(starts, offset)


def secret_findings(paths: Iterable[Path], secrets: Iterable[str | None] = ()) -> list[str]:
    """`hologram redact --check`: one line per line of these files that holds a secret (file:line); an unreadable
    file is an InputError (exit 2)."""
    known = list(secrets)
    found: list[str] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", path) from None
        found += [
            f"{path}:{number}: a secret-shaped value (redact it or remove it)" for number in secret_lines(text, known)
        ]
    return found
