"""Slack / Teams: the verdict, the p95s and the latest deployment (name → CID), posted to an incoming webhook.

Slack gets Block Kit through slack-sdk's WebhookClient (Slack's own client: its retry on a dropped connection and
its error bodies, not ours). Teams gets an Adaptive Card in the envelope that Workflows webhooks (the successor of
the retired Office 365 connectors) accept. The webhook URL is a secret: it never appears in a payload, a file or a
message; every string of a payload goes through the redactor. A webhook that fails or times out is reported and
never fails the build — the gate has already spoken.
"""

from __future__ import annotations

import http.client
import re
import threading
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from slack_sdk.errors import SlackClientError
from slack_sdk.webhook import WebhookClient, WebhookResponse

from hologram_lib import atomic, outside
from hologram_lib.attribution import glance, moved_functions
from hologram_lib.ci.facts import Facts, read_bisect, worst_first
from hologram_lib.outcomes import Posting
from hologram_lib.redact import one_line, redact

CHANNELS = ("slack", "teams")
MAX_METRICS = 10  # Slack allows 10 fields in a section; a message is a glance, the report has the rest
TIMEOUT_S = 10.0
T = TypeVar("T")


@dataclass(frozen=True)
class Message:
    """What both channels say, in plain words."""

    title: str
    good: bool
    why: list[str]
    p95s: list[tuple[str, str]]  # (metric, "p95 1.234 ms / budget 15 ms: pass")
    deployment: str | None
    link: str | None


def message(facts: Facts) -> Message:
    verdict = facts.verdict
    if verdict is None:
        return Message("Hologram Pipeline: could not judge", False, [str(facts.problem)], [], None, facts.links.run_url)
    head = "PASS" if verdict.passed else "FAIL"
    why = verdict.reasons or [verdict.why_passed()]
    moved = [f"where {key} went: {glance(functions)}" for key, functions in moved_functions(verdict.ab).items()]
    moved += _bisect_line(facts)
    p95s = []
    for v in worst_first(verdict)[:MAX_METRICS]:
        p95 = "no data" if v.result is None else f"p95 {v.result.p95_ms:.3f} ms"
        p95s.append((v.metric, f"{p95} / budget {v.budget_ms:g} ms: {v.status}"))
    deployment = None
    if verdict.e2e is not None and verdict.e2e.latest_deployment:
        d = verdict.e2e.latest_deployment
        deployment = f"{d['name']} → {d['cid']} ({d['ts']})"
    title = f"Hologram Pipeline: {head} (profile {verdict.gate.profile})"
    return Message(title, verdict.passed, [*why[:5], *moved[:3]], p95s, deployment, facts.links.run_url)


def _bisect_line(facts: Facts) -> list[str]:
    """The nightly's bisection of a new shift (perf/bisect.json): its one-line answer, when this job ran one."""
    try:
        document = read_bisect(facts.reports.perf.root / "bisect.json")
    except ValueError as exc:
        return [f"bisect: {exc}"]
    return [] if document is None else [f"bisect: {document['answer'].get('message', '?')}"]


def _mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object that Slack does not rewrite: no URL auto-linked, no channel or mention parsed
    (`verbatim`); the outside text in it is escaped by outside.slack."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def slack_payload(m: Message) -> dict[str, Any]:
    """Block Kit: a header, why, the p95s as fields, the latest deployment, the run link. Every outside string
    (reasons, metric names, the deployment) goes through outside.slack: no `<!channel>`, no link, no mention."""
    why = [outside.slack(w) for w in m.why]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": m.title[:150]}},
        {"type": "section", "text": _mrkdwn("*Why:*\n" + "\n".join(f"• {w}" for w in why))},
    ]
    if m.p95s:
        fields = [_mrkdwn(f"*{outside.slack(metric)}*\n{outside.slack(text)}") for metric, text in m.p95s]
        blocks.append({"type": "section", "fields": fields})
    deployed = f"latest deployment: {outside.slack(m.deployment)}" if m.deployment else None
    context = [deployed or "no successful deployment recorded"]
    if m.link:
        context.append(f"<{m.link}|run and artifacts>")
    blocks.append({"type": "context", "elements": [_mrkdwn(" · ".join(context))]})
    return {"text": f"{outside.slack(m.title)}: {'; '.join(why)}"[:3000], "blocks": blocks}


def teams_payload(m: Message) -> dict[str, Any]:
    """An Adaptive Card (1.4) in the `message` envelope of a Teams Workflows webhook. TextBlocks and facts render a
    CommonMark subset: every outside string goes through outside.teams (no link, no `{{DATE()}}`, no mention)."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": m.title,
            "weight": "Bolder",
            "size": "Medium",
            "color": "Good" if m.good else "Attention",
            "wrap": True,
        },
        {"type": "TextBlock", "text": "\n".join(f"- {outside.teams(w)}" for w in m.why), "wrap": True},
    ]
    if m.p95s:
        facts = [{"title": outside.teams(metric), "value": outside.teams(text)} for metric, text in m.p95s]
        body.append({"type": "FactSet", "facts": facts})
    deployed = outside.teams(m.deployment) if m.deployment else "none recorded"
    body.append({"type": "TextBlock", "text": f"Latest deployment: {deployed}", "wrap": True})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if m.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Run and artifacts", "url": m.link}]
    attachment = {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
    return {"type": "message", "attachments": [attachment]}


PAYLOADS: dict[str, Callable[[Message], dict[str, Any]]] = {"slack": slack_payload, "teams": teams_payload}


def redacted(value: Any, secrets: Iterable[str | None]) -> Any:
    """Every string in a payload passed through the redactor (known secrets and secret shapes)."""
    known = list(secrets)
    if isinstance(value, str):
        return redact(value, known)
    if isinstance(value, dict):
        return {k: redacted(v, known) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(v, known) for v in value]
    return value


def redacted_message(m: Message, secrets: Iterable[str | None]) -> Message:
    """The message's outside strings redacted while they are still plain text (before a channel escapes them)."""
    known = list(secrets)
    return replace(
        m,
        why=[redact(w, known) for w in m.why],
        p95s=[(redact(metric, known), redact(text, known)) for metric, text in m.p95s],
        deployment=None if m.deployment is None else redact(m.deployment, known),
    )


@dataclass(frozen=True)
class Delivery:
    channel: str
    outcome: Posting  # sent / skipped / failed / dry run
    detail: str
    payload_file: Path

    def line(self) -> str:
        return f"notify {self.channel}: {self.outcome}: {self.detail} (payload: {self.payload_file})"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook that answers 301/302 has not taken the message: urllib would re-send it as a GET elsewhere and report
    that page's 200 as "sent"."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


class _SlackWebhook(WebhookClient):
    """slack-sdk's client (its retries and error bodies) without following redirects."""

    def _perform_http_request_internal(self, url: str, req: urllib.request.Request) -> WebhookResponse:
        handlers: list[urllib.request.BaseHandler] = [_NoRedirects(), urllib.request.HTTPSHandler(context=self.ssl)]
        if isinstance(self.proxy, str):
            handlers.append(urllib.request.ProxyHandler({"http": self.proxy, "https": self.proxy}))
        with urllib.request.build_opener(*handlers).open(req, timeout=self.timeout) as answer:
            body = answer.read().decode(answer.headers.get_content_charset() or "utf-8")
            return WebhookResponse(url=url, status_code=answer.status, body=body, headers=answer.headers)


def _post_slack(url: str, payload: dict[str, Any], timeout_s: float) -> tuple[int, str]:
    response = _SlackWebhook(url, timeout=max(1, round(timeout_s))).send(text=payload["text"], blocks=payload["blocks"])
    return response.status_code, str(response.body)


def _post_teams(url: str, payload: dict[str, Any], timeout_s: float) -> tuple[int, str]:
    import requests

    response = requests.post(url, json=payload, timeout=timeout_s, allow_redirects=False)
    return response.status_code, response.text


_POSTERS = {"slack": _post_slack, "teams": _post_teams}


def within(seconds: float, post: Callable[[], T]) -> T:
    """`post()` given `seconds` in total. Both clients' timeouts bound each socket read only: a webhook trickling a
    byte a second held a 2 s notify for 42 s. The post runs in a daemon thread that is left behind when too slow
    (the command ends right after; the gate has already spoken)."""
    outcome: list[T | BaseException] = []

    def run() -> None:
        try:
            outcome.append(post())
        except BaseException as exc:  # handed to the caller's thread
            outcome.append(exc)

    worker = threading.Thread(target=run, name="webhook", daemon=True)
    worker.start()
    worker.join(seconds)
    if not outcome:
        raise TimeoutError(f"no answer within {seconds:g} s")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def _url_parts(url: str | None) -> list[str]:
    """The secret parts of a webhook URL on their own (a server may echo its path or query in an error body)."""
    if not url:
        return []
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed "[": no parts to name; the whole URL is still redacted
        return []
    return [part for part in (parts.path, parts.query) if len(part) > 1]


def _scrubbed(body: str, url: str) -> str:
    """`body` without any piece of the webhook's path or query, however the server spelt it back: one segment alone,
    percent-encoded or not, in any case (an error page echoed the last segment upper-cased)."""
    from urllib.parse import quote, unquote, urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return body
    pieces = {piece for text in (parts.path, parts.query) for piece in re.split(r"[/&=?]", text) if len(piece) >= 4}
    forms = {form for piece in pieces for form in (piece, unquote(piece), quote(piece, safe=""), quote(piece))}
    for form in sorted(forms, key=len, reverse=True):
        body = re.sub(re.escape(form), "[redacted]", body, flags=re.IGNORECASE)
    return body


def notify(
    channel: str,
    facts: Facts,
    url: str | None,
    payload_file: Path,
    secrets: Iterable[str | None] = (),
    timeout_s: float = TIMEOUT_S,
    *,
    dry_run: bool = False,
) -> Delivery:
    """Write the (redacted) payload to `payload_file` and post it when a URL is configured (and this is no dry run);
    never raises for the webhook's sake — a failure comes back as a Delivery that says what went wrong, without the
    URL."""
    known = [url, *_url_parts(url), *secrets]
    # Redacted before the channel's escaping too: an escaped `token\=abc` no longer reads as a secret.
    payload = redacted(PAYLOADS[channel](redacted_message(message(facts), known)), known)
    atomic.write_json(payload_file, payload)
    variable = f"{channel.upper()}_WEBHOOK_URL"
    if dry_run:
        return Delivery(
            channel, Posting.DRY_RUN, f"nothing posted ({variable} {'is' if url else 'is not'} set)", payload_file
        )
    if url is None:
        return Delivery(channel, Posting.SKIPPED, f"{variable} is not set (nothing posted)", payload_file)
    if not url.startswith(("https://", "http://")):
        return Delivery(channel, Posting.FAILED, f"{variable} is not an http(s) URL (nothing posted)", payload_file)
    try:
        status, body = within(timeout_s, lambda: _POSTERS[channel](url, payload, timeout_s))
    except (OSError, http.client.HTTPException, ValueError, SlackClientError) as exc:  # requests' errors are OSErrors
        # The type only: urllib3's and requests' messages quote the URL's path, which is the secret part of it.
        return Delivery(
            channel, Posting.FAILED, f"webhook unreachable or too slow ({type(exc).__name__})", payload_file
        )
    if 200 <= status < 300:
        return Delivery(channel, Posting.SENT, f"HTTP {status}", payload_file)
    if 300 <= status < 400:
        return Delivery(
            channel, Posting.FAILED, f"HTTP {status}: a redirect, not followed (nothing delivered)", payload_file
        )
    said = one_line(_scrubbed(body, url), known, limit=200)
    return Delivery(channel, Posting.FAILED, f"HTTP {status}: {said}", payload_file)
