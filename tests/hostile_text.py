"""Hostile outside text for the renderer tests: what a metric name, an app name, a CID or a service's error can hold
when an attacker writes it — HTML, Markdown, Slack mrkdwn, Teams Adaptive Card markup, ANSI / OSC escapes, Unicode
bidi controls — and the checks that a page, a summary or a payload shows it as text and nothing more.

`{beacon}` in a fragment is replaced with a loopback URL that counts requests: a page that fetches it left the
report (which promises to be offline)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.http_server import running

PWNED = "window.__pwned=1"
FRAGMENTS = (
    f"<script>{PWNED}</script>",
    f"<img src=x onerror={PWNED}>",
    '<img src="{beacon}/img.png">',
    f"<svg onload={PWNED}>",
    '<iframe src="{beacon}/frame"></iframe>',
    '<link rel=stylesheet href="{beacon}/style.css">',
    '<meta http-equiv="refresh" content="0;url={beacon}/meta">',
    '<base href="{beacon}/">',
    "<style>body{background:url({beacon}/bg.png)}</style>",
    '"><b onmouseover=alert(1)>',
    "' onfocus='alert(1)' autofocus='",
    f"[click me](javascript:{PWNED})",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pixel]({beacon}/md.png)",
    "[ref][r]\n\n[r]: {beacon}/ref",
    "<{beacon}/autolink>",
    "{beacon}/bare-url www.example.com user@example.com",
    "`code` **bold** _em_ ~~strike~~ $x^2$",
    "| a | b |\n|---|---|\n| c | d |",
    "\n# heading\n- list\n> quote\n    code\n---",
    "1. ordered",
    "<!channel> <!here> <!everyone> @here @channel <@U012AB3CD> <#C024BE7LR>",
    "<{beacon}/slack|click here>",
    "*bold* _italic_ ~strike~ `code` > quote",
    "{{DATE(2017-02-14T06:00:00Z, SHORT)}} ${name}",
    "<at>everyone</at>",
    "\x1b]52;c;aGVsbG8gY2xpcGJvYXJk\x07",
    "\x1b[2J\x1b[31mFAKE PASS\x1b[0m",
    "\x1b]8;;{beacon}/osc8\x1b\\link\x1b]8;;\x1b\\",
    "\r\x9b31m",
    "\u202eliaf\u202c \u2066isolate\u2069 \u200f",
    "&lt;script&gt; &#60;b&#62; &amp;",
    "\x00nul \x7f del",
)


def fill(text: str, beacon: str) -> str:
    return text.replace("{beacon}", beacon)


def hostile_strings(beacon: str) -> list[str]:
    return [fill(fragment, beacon) for fragment in FRAGMENTS]


def hostile_text(beacon: str) -> st.SearchStrategy[str]:
    """Concatenations of hostile fragments and arbitrary text (any code point, controls and bidi included)."""
    piece = st.one_of(
        st.sampled_from(hostile_strings(beacon)),
        st.text(max_size=12),
        st.sampled_from(list("<>&\"'`[]()!*_~|#$\\:@{}\n\r\t\x1b\u202e\u2066")),
    )
    return st.lists(piece, min_size=1, max_size=6).map("".join).filter(lambda s: s.strip() != "")


@contextmanager
def beacon_server() -> Iterator[tuple[str, list[str]]]:
    """A loopback server recording every request (any method): any hit means a page or a client reached outside."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _hit(self) -> None:
            hits.append(f"{self.command} {self.path}")
            self.send_response(204)
            self.end_headers()

        do_GET = do_POST = do_HEAD = do_OPTIONS = _hit

        def log_message(self, *_args: object) -> None:
            pass

    with running(Handler) as url:
        yield url, hits


# The elements our own templates produce (index.html, nbconvert's `basic` notebook HTML, pandas' Styler tables).
ALLOWED_TAGS = frozenset(
    [
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "header",
        "main",
        "div",
        "section",
        "span",
        "a",
        "p",
        "ul",
        "ol",
        "li",
        "b",
        "strong",
        "em",
        "i",
        "code",
        "pre",
        "small",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "img",
        "br",
        "hr",
        "caption",
    ]
)

# Run in the page: every element, attribute and link that was not in the template (and whether a payload ran).
INSPECT_JS = r"""(allowed) => {
  const problems = [];
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    if (!allowed.includes(tag)) problems.push('element <' + tag + '>');
    for (const attribute of el.attributes) {
      if (attribute.name.startsWith('on')) problems.push('handler ' + attribute.name + ' on <' + tag + '>');
      if (attribute.name === 'style' && /url\s*\(/i.test(attribute.value)) problems.push('style url on <' + tag + '>');
    }
    if (tag === 'meta' && el.hasAttribute('http-equiv')) problems.push('meta http-equiv');
    if (tag === 'a' && el.hasAttribute('href')) {
      const href = el.getAttribute('href');
      if (!/^(#.*|[a-z0-9_]+\.html)$/.test(href)) problems.push('link ' + href);
    }
    if (tag === 'img' && !(el.getAttribute('src') || '').startsWith('data:image/png;base64,')) {
      problems.push('image ' + el.getAttribute('src'));
    }
  }
  if (window.__pwned) problems.push('a payload ran');
  return problems;
}"""

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def raw_controls(text: str) -> list[str]:
    """Control and bidi characters in `text` (what a terminal or a reader must never get raw)."""
    return [f"U+{ord(c):04X}" for c in _CONTROL.findall(text)]


def open_in_chromium(page: Any, html_file: Path) -> list[str]:
    """Load a page as a reader would (from its file), and list every problem: a request other than the page itself
    or an embedded PNG (aborted, so nothing leaves even when it fails), an element, handler, link or image not of
    our templates, a payload that ran."""
    requests: list[str] = []

    def route(handled: Any) -> None:
        url = handled.request.url
        if url == html_file.as_uri() or url.startswith("data:image/png;base64,"):
            handled.continue_()
        else:
            requests.append(url)
            handled.abort()

    def seen(request: Any) -> None:  # file: requests (`<img src=x>` on a file page) are not routed, but seen here
        if request.url != html_file.as_uri() and not request.url.startswith("data:image/png;base64,"):
            requests.append(request.url)

    page.route("**/*", route)
    page.on("request", seen)
    try:
        page.goto(html_file.as_uri())
        page.wait_for_load_state("load")
        try:
            problems = page.evaluate(INSPECT_JS, sorted(ALLOWED_TAGS))
        except Exception as exc:
            problems = [f"the page did not stay: {exc}"]
    finally:
        page.remove_listener("request", seen)
        page.unroute("**/*")
    return [f"request {url}" for url in sorted(set(requests))] + problems
