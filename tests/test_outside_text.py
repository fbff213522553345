"""Hostile inputs, round three — escaping: each finding as its own test (the renderer fuzz in test_render_fuzz.py
covers the same sinks with generated text). Outside text is whatever the project did not write itself."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from nbconvert.filters.markdown import markdown2html

from hologram_lib.report import charts, pages
from tests.helpers import ROOT, hologram

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SCRIPT_NAME = "<img src=x onerror=document.title='pwned'>"
MARKDOWN_ATTACKS = [
    "[click](javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "![beacon](http://127.0.0.1:9/pixel.png)",
    "<http://127.0.0.1:9/autolink>",
    "http://127.0.0.1:9/bare www.example.com a@example.com",
    "[r][1]\n\n[1]: http://127.0.0.1:9/ref",
]


def _code(notebook: Path) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_notebook_tables_are_shown_only_through_the_escaping_styler(notebook: Path) -> None:
    """A pandas Styler inserts strings as raw HTML unless told otherwise: baseline_drift's history table ran a metric
    name `<img src=x onerror=…>` from an imported CSV. Every table a notebook shows goes through tables.styled."""
    code = _code(notebook)
    assert ".style" not in code.replace("tables.styled", ""), notebook.name
    for shown in re.findall(r"display\((.*)\)", code):
        if "DataFrame" in shown or "tables." in shown:
            assert shown.startswith(("tables.styled(", "charts.")), shown


@pytest.mark.parametrize("attack", MARKDOWN_ATTACKS)
def test_outside_text_in_a_notebook_page_is_no_link_image_or_autolink(attack: str) -> None:
    """HTML-escaping was not enough: the Markdown of the notebook pages made `[x](javascript:…)` a live link and
    `![…](http://…)` an image fetched when the page opened."""
    shown = markdown2html(f"**FAIL**: {pages.escape(attack)}")
    assert not re.search(r"<(a|img)\b", shown), shown
    assert "javascript:" not in shown or "href" not in shown


def test_a_failed_probe_with_markdown_in_its_error_shows_it_as_text(tmp_path: Path) -> None:
    from hologram_lib.e2e.summary import summarize

    events = tmp_path / "events.jsonl"
    base = {"suite": "phase8", "run_id": "r1", "duration_ms": 1.0}
    records = [
        {"ts": "2026-11-27T04:19:12.345Z", "event": "preflight", "status": "ok", **base},
        {"ts": "2026-11-27T04:19:13.345Z", "event": "run_end", "status": "fail", "last_ok": "preflight",
         "failed_step": "[step](javascript:alert(1))", "error": "![x](http://127.0.0.1:9/x.png) " + SCRIPT_NAME,
         **base},
    ]  # fmt: skip
    events.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    shown = markdown2html(pages.e2e_markdown(summarize(events)))
    assert not re.search(r"<(a|img)\b", shown) and "onerror" in shown and "&lt;img" in shown


def test_a_dollar_in_a_metric_name_draws_as_text_not_mathtext() -> None:
    """matplotlib parsed `$…$` in a chart title as TeX: a metric name `a$\\frac$b` failed the whole notebook."""
    figure = charts.trend("core.a$\\frac$b_ms", [1.0, 2.0, 3.0], [2.0, 3.0, 4.0], [])
    assert charts.png(figure).startswith(b"\x89PNG")


def test_control_and_bidi_characters_are_written_out() -> None:
    from hologram_lib import outside

    assert outside.visible("a\x1b]52;c;aGk=\x07b\u202ec") == "a\\x1b]52;c;aGk=\\x07b\\u202ec"
    assert outside.terminal("line\n\ttab\r\x9b") == "line\n\ttab\\x0d\\x9b"


def test_the_cli_prints_no_escape_sequence_from_outside_text(tmp_path: Path) -> None:
    """An error from a service with an OSC 52 sequence in it wrote the user's clipboard when `hologram e2e summary`
    printed it; a bidi override showed "fail" as "liaf"."""
    events = tmp_path / "events.jsonl"
    base = {"suite": "phase8", "run_id": "r1", "duration_ms": 1.0}
    records = [
        {"ts": "2026-11-27T04:19:12.345Z", "event": "preflight", "status": "ok", **base},
        {"ts": "2026-11-27T04:19:13.345Z", "event": "run_end", "status": "fail", "last_ok": "preflight",
         "failed_step": "ipfs_publish", "error": "boom \x1b]52;c;aGVsbG8=\x07 \x1b[2J \u202eliaf", **base},
    ]  # fmt: skip
    events.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    done = hologram("e2e", "summary", "--events", str(events))
    assert done.returncode == 1
    assert "\x1b" not in done.stdout + done.stderr and "\u202e" not in done.stdout + done.stderr
    assert "boom \\x1b]52;c;aGVsbG8=\\x07 \\x1b[2J \\u202eliaf" in done.stdout


def _hostile_run(report_dir: Path) -> Path:
    """The fixture report plus a later run that deployed an app with a hostile name and CID, then failed with a
    hostile error (events written raw, as a hostile marketplace or IPFS server makes the probe record them)."""
    hostile = {"suite": "phase8", "duration_ms": 1.0, "name": "<!channel> @here [app](http://127.0.0.1:9/a)",
               "cid": "<http://127.0.0.1:9/x|bafy> {{DATE(2017-02-14T06:00:00Z)}}"}  # fmt: skip
    with (report_dir / "e2e" / "events.jsonl").open("a", encoding="utf-8") as log:
        for step in ("preflight", "ipfs_publish", "marketplace_publish", "resolve", "search", "run_end"):
            record = {"ts": "2026-11-28T00:00:00.000Z", "run_id": "run-2", "event": step, "status": "ok", **hostile}
            log.write(json.dumps({**record, "last_ok": "search"} if step == "run_end" else record) + "\n")
        failed = {"ts": "2026-11-28T01:00:00.000Z", "run_id": "run-3", "suite": "phase8", "duration_ms": 1.0}
        log.write(json.dumps({**failed, "event": "preflight", "status": "fail", "error": "x"}) + "\n")
        error = "<!everyone> ![p](http://127.0.0.1:9/p.png) [docs](javascript:alert(1)) | *pwn* " + SCRIPT_NAME
        end = {**failed, "event": "run_end", "status": "fail", "last_ok": None, "failed_step": "preflight"}
        log.write(json.dumps({**end, "error": error}) + "\n")
    return report_dir


def test_the_job_summary_shows_outside_text_literally(report_dir: Path) -> None:
    """The job summary carried raw Markdown / HTML from outside text: links, an image from an outside URL, a table
    broken by a pipe."""
    done = hologram("summary", "--reports-dir", str(_hostile_run(report_dir)))
    assert done.returncode in (0, 1) and done.stdout.startswith("## Hologram Pipeline"), done.stderr
    html = markdown2html(done.stdout)
    assert not re.search(r"<(img|script)\b|href=\"(?!#)", html.split("Artifacts")[0]), html  # `#`: heading anchors
    assert "&lt;img src=x onerror" in html and "@here" not in done.stdout.replace("&#64;", "@\u200b")


def test_slack_and_teams_payloads_carry_no_mention_link_or_card_function(report_dir: Path) -> None:
    """`<!channel>` in an app name pinged the whole Slack channel; `[x](url)` was a live link in the Teams card."""
    reports = _hostile_run(report_dir)
    for channel in ("slack", "teams"):
        done = hologram("notify", channel, "--reports-dir", str(reports), "--dry-run")
        assert done.returncode in (0, 1) and "dry run" in done.stdout, done.stderr
    slack = json.loads((reports / "notify" / "slack.json").read_text(encoding="utf-8"))
    texts = json.dumps(slack, ensure_ascii=False)
    assert "<!" not in texts and "<http" not in texts and "@here" not in texts
    assert "&lt;!channel&gt;" in texts and "&lt;!everyone&gt;" in texts
    mrkdwn = [t for b in slack["blocks"] for t in [b.get("text"), *b.get("fields", []), *b.get("elements", [])] if t]
    assert all(t["verbatim"] is True for t in mrkdwn if t["type"] == "mrkdwn")
    teams = json.loads((reports / "notify" / "teams.json").read_text(encoding="utf-8"))
    card = teams["attachments"][0]["content"]
    for block in card["body"]:
        for text in [block.get("text", "")] + [f["title"] + f["value"] for f in block.get("facts", [])]:
            assert not re.search(r"<(a|img)\b", markdown2html(text)), text
            assert "{{DATE" not in text and "@here" not in text and "://" not in text
