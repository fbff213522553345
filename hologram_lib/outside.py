"""Outside text made inert for each sink it reaches: HTML pages, Markdown (notebook pages, GitHub's job summary),
Slack mrkdwn, Teams Adaptive Cards and the terminal.

Outside text is whatever the project did not write itself: a metric name from an imported CSV, an app name, a CID
or an error from a service, a path given on the command line. It must reach every reader as the literal characters
it holds — never as markup, a link, a mention, an image fetched from the network, or a terminal control sequence.

Each sink has its own rules, so each has its own function; all of them first make invisible characters visible
(`visible`): control characters (ESC starts ANSI / OSC sequences — OSC 52 writes the clipboard) and the Unicode
bidi controls (they reorder what a reader sees, e.g. "fail" shown as "liaf").
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Iterable
from typing import Any, TextIO

__all__ = ["TerminalStream", "html", "markdown", "slack", "teams", "terminal", "visible"]

# U+061C, U+200E/F, U+202A–E, U+2066–9: the bidi controls; U+2028/9: line / paragraph separators.
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
_INVISIBLE = re.compile(rf"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_INVISIBLE_KEEP_LINES = re.compile(rf"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(value: object) -> str:
    """`value` as text on one line, with control and bidi characters written out (`\\x1b`, `\\u202e`); tabs and
    newlines become spaces (a new line in Markdown can start a heading, a list or a quote)."""
    text = str(value).replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    return _INVISIBLE.sub(_shown, text)


def terminal(text: str) -> str:
    """Text for a terminal: newlines and tabs kept (the program's own layout), every other control character and
    bidi control written out, so that an ESC from outside can start no sequence."""
    return _INVISIBLE_KEEP_LINES.sub(_shown, text)


def html(value: object) -> str:
    """Outside text inside an HTML element or a quoted attribute."""
    return _html.escape(visible(value), quote=True)


# What can make Markdown do more than show text: raw HTML and autolinks (<, >, &), links, images and footnotes
# ([, ], \), code spans (`), tables (|), GitHub's math ($), emphasis and strike-through (*, ~), headings (#), and the
# starts of GFM's bare autolinks (`://`, `www.`, `@` of an e-mail address). `.` and an intraword `_` stay readable
# (metric names are full of both; `verify_ms` is no emphasis); `_` at a word's edge is emphasis and is encoded.
_MARKDOWN_ACTIVE = re.compile(
    r"[<>&\[\]\\`|$*~#@]|:(?=//)|(?<=\bwww)\.|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", re.IGNORECASE
)
# At the start of a line (a list item's text is one) these open a block: indented code, a bullet or ordered list
# marker, a thematic break; a space at the end (before our own line break) makes a hard break.
_MARKDOWN_BLOCK_START = re.compile(r"^(?:\s|[+-](?=[\s-]|$)|\d(?=\d{0,8}[.)](?:\s|$)))|\s$")


def _reference(match: re.Match[str]) -> str:
    return f"&#{ord(match.group())};"


def markdown(value: object) -> str:
    """Outside text in CommonMark / GitHub Markdown (also inside a table cell): each character that could start
    markup as a numeric character reference, which Markdown always shows as the literal character — never a link,
    an image, raw HTML, a table pipe or a code span. Not for use inside a code span (references show as typed)."""
    return _MARKDOWN_BLOCK_START.sub(_reference, _MARKDOWN_ACTIVE.sub(_reference, visible(value)))


_SLACK_CONTROL = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def slack(value: object) -> str:
    """Outside text for Slack: `&`, `<` and `>` escaped as Slack asks, so that no `<!channel>`, `<@U1>` or
    `<https://…|label>` control sequence is formed; `@` and `://` broken by a zero-width space, so that neither a
    plain `@here` nor a bare URL is parsed as a mention or a link either. Slack has no escape for `*`, `_`, `~`:
    those may still format, which changes the look of a name but cannot link, mention or fetch."""
    return visible(value).translate(_SLACK_CONTROL).replace("://", ":\u200b//").replace("@", "@\u200b")


_TEAMS_MARKUP = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&])")


def teams(value: object) -> str:
    """Outside text for a Teams Adaptive Card's TextBlock / Fact (a CommonMark subset): CommonMark's punctuation
    backslash-escaped (its own escape), which also stops `{{DATE(…)}}` functions and `[label](url)` links; `://`
    and `@` broken by a zero-width space, so that no client turns a bare URL into a link or a name into a mention."""
    escaped = _TEAMS_MARKUP.sub(r"\\\1", visible(value))
    return escaped.replace("://", ":\u200b//").replace("@", "@\u200b")


class TerminalStream:
    """A text stream that writes through `terminal`: what the CLI prints — its own words and the outside text in
    them (an error from a service, a metric name, a path) — can carry no ESC sequence to the terminal (an OSC 52
    in an error message wrote the user's clipboard), nor any of the configured `secrets` (an error that quotes the
    token). `unfiltered` is the stream itself, for a filter's own data."""

    def __init__(self, stream: TextIO, secrets: Iterable[str] = ()) -> None:
        self.unfiltered = stream
        self._secrets = sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True)

    def write(self, text: str) -> int:
        shown = text
        for secret in self._secrets:
            shown = shown.replace(secret, "[REDACTED]")
        self.unfiltered.write(terminal(shown))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding, …: the stream's own
        return getattr(self.unfiltered, name)
