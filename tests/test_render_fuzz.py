"""The renderers fuzzed with hostile outside text (tests/hostile_text.py): metric names, app names, CIDs, run ids and
errors go through every writer of the report — the notebook pages' Markdown and tables, index.html, the job summary,
the Slack and Teams payloads and the terminal — and each result is checked for what it may never hold: an element,
attribute, link or image that the template did not put there, a request leaving the page (checked in headless
Chromium), a mention or link in a chat message, a raw control character on the terminal, the configured secret.

`make test` runs a bounded number of examples; `make soak` many more (HOLOGRAM_FUZZ_EXAMPLES)."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbconvert.filters.markdown import markdown2html

from hologram_lib import outside
from hologram_lib.ci import notify, summary
from hologram_lib.ci.facts import gather
from hologram_lib.cli import main
from hologram_lib.e2e.summary import summarize
from hologram_lib.layout import Reports
from hologram_lib.paired_documents import NoiseDocument
from hologram_lib.perf.files import MetricResult, load_perf_dir, write_suite
from hologram_lib.report import index, pages, render, tables
from hologram_lib.verdict import default_inputs, judge
from tests.chromium import launched
from tests.hostile_text import beacon_server, hostile_strings, hostile_text, open_in_chromium, raw_controls

EXAMPLES = int(os.environ.get("HOLOGRAM_FUZZ_EXAMPLES", "20"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SECRET = "tok-fuzz-5e1f0a9c7b3d"  # the configured GRAPHQL_TOKEN: it may appear in any input, never in any output


@pytest.fixture(scope="module")
def beacon() -> Iterator[tuple[str, list[str]]]:
    with beacon_server() as served:
        yield served


@pytest.fixture(scope="module")
def chromium():
    with launched() as browser:
        yield browser.new_page()


def _events(path: Path, text: str) -> None:
    """A hostile events.jsonl (written raw, as any producer could): a successful deployment named `text` with CID
    `text`, then a failed run whose id, step and error are `text` (with the token in it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ok = {"suite": "phase8", "status": "ok", "duration_ms": 2.5, "name": text, "cid": text}
    lines = [
        {"ts": f"2026-11-27T04:19:1{i}.000Z", "run_id": "run-ok", "event": step, **ok}
        for i, step in enumerate(("preflight", "ipfs_publish", "marketplace_publish", "resolve", "search"))
    ]
    lines.append({"ts": "2026-11-27T04:19:19.000Z", "run_id": "run-ok", "event": "run_end", **ok, "last_ok": "search"})
    failed = {"suite": "phase8", "run_id": text, "duration_ms": 1.0}
    lines.append({"ts": "2026-11-27T05:00:00.000Z", "event": "preflight", "status": "ok", **failed})
    lines.append(
        {"ts": "2026-11-27T05:00:01.000Z", "event": "ipfs_publish", "status": "fail", "error": f"{text} {SECRET}",
         **failed}
    )  # fmt: skip
    lines.append(
        {"ts": "2026-11-27T05:00:02.000Z", "event": "run_end", "status": "fail", "last_ok": text,
         "failed_step": "ipfs_publish", "error": f"{text} {SECRET}", **failed}
    )  # fmt: skip
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


def hostile_reports(root: Path, text: str) -> Reports:
    """A reports/ folder whose every outside field is `text`: metric names in the baseline (gone metrics), in the
    cache profiles and in the calibration's false alarms; the app name, CID, run id, step and error of E2E runs."""
    reports = Reports(root / "reports")
    rng = np.random.default_rng(1)
    runs = tuple(1.0 + 0.05 * rng.standard_normal(40) for _ in range(5))
    write_suite(reports.perf.root, "core", [MetricResult("core", "verify_ms", runs)], "run-fuzz")
    baseline = {"core.verify_ms": 1.0, text: 2.0, f"core.{text}": 3.0}
    reports.perf.baseline.write_text(json.dumps(baseline), encoding="utf-8")
    profiles = {text: {"cold_p95_ms": text, "warm_p95_ms": 1.0, "ratio": text}}
    reports.perf.cache_profiles.write_text(json.dumps(profiles), encoding="utf-8")
    _events(reports.events, text)
    return reports


def _page(tmp: Path, name: str, body: str) -> Path:
    path = tmp / f"{name}.html"
    path.write_text(render.page(name, body), encoding="utf-8")
    return path


def notebook_markdown(reports: Reports, text: str) -> str:
    """What the notebooks display as Markdown, from the same functions, for this hostile report."""
    verdict_file = reports.root / "verdict.json"
    verdict_file.write_text(json.dumps({"passed": False, "reasons": [text, f"{text} {SECRET}"]}), encoding="utf-8")
    noise = NoiseDocument(
        threshold_pct=10.0,
        false_alarms=[text],
        runs_per_group=5,
        created=text,
        metrics={text: {"between_run_sd_log_median": text, "between_run_sd_log_p95": 0.1, "mde_median_pct": 5,
                        "mde_p95_pct": text}},
    )  # fmt: skip
    e2e = summarize(reports.events)
    parts = [
        pages.verdict_markdown(verdict_file),
        pages.noise_markdown(noise),
        pages.cache_profiles_markdown(reports.perf.cache_profiles),
        pages.e2e_markdown(e2e),
        pages.deployment_markdown(e2e),
        f"**No comparison:** {pages.escape(text)}",
    ]
    return "\n\n".join(parts)


def notebook_tables(reports: Reports, text: str) -> str:
    """The notebooks' tables (tables.styled), with `text` in cells, row labels and column labels."""
    e2e = summarize(reports.events)
    events = [json.loads(line) for line in reports.events.read_text(encoding="utf-8").splitlines()]
    frames = [
        (tables.last_run_steps(e2e, events), False),
        (tables.e2e_counts(e2e), True),
        (pd.DataFrame(e2e.cid_trail), False),
        (pd.DataFrame({text: [text, 1.5], "metric": [text, None]}, index=[text, "x"]), True),
    ]
    return "".join(tables.styled(frame, index=labelled).to_html() for frame, labelled in frames)


def index_page(reports: Reports, text: str) -> Path:
    metrics = load_perf_dir(reports.perf.root)
    verdict = judge(default_inputs(reports))
    events = [json.loads(line) for line in reports.events.read_text(encoding="utf-8").splitlines()]
    runs = [render.NotebookRun("e2e_probe", False, reports.root / "e2e_probe.html", 1.0, f"{text} {SECRET}")]
    return index.write_index(reports.index, verdict, metrics, events, runs, text, history=text)


def payload_texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from payload_texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from payload_texts(item)


def check_slack(payload: dict[str, Any]) -> list[str]:
    problems = []
    for block in payload["blocks"]:
        for item in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if item and item.get("type") == "mrkdwn" and item.get("verbatim") is not True:
                problems.append(f"mrkdwn without verbatim: {item['text'][:60]!r}")
    for text in payload_texts(payload):
        if "<" in text or ">" in text:
            problems.append(f"control sequence possible: {text[:80]!r}")
        if re.search(r"@(here|channel|everyone)\b", text):
            problems.append(f"mention: {text[:80]!r}")
        if "://" in text:
            problems.append(f"link: {text[:80]!r}")
    return problems


def check_teams(payload: dict[str, Any]) -> list[str]:
    card = payload["attachments"][0]["content"]
    problems = []
    texts = [b["text"] for b in card["body"] if b["type"] == "TextBlock"]
    texts += [t for b in card["body"] if b["type"] == "FactSet" for f in b["facts"] for t in (f["title"], f["value"])]
    for text in texts:
        rendered = markdown2html(text)  # CommonMark, as the Adaptive Card renderers read TextBlocks
        if re.search(r"<(a|img|script|iframe)\b", rendered):
            problems.append(f"markup in card: {rendered[:100]!r}")
        if "{{" in text or re.search(r"@(here|channel|everyone)\b", text) or "://" in text:
            problems.append(f"function, mention or link: {text[:80]!r}")
    if card.get("actions"):
        problems.append(f"an action not from CI's own run link: {card['actions']}")
    return problems


def terminal_output(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    main(list(argv))
    captured = capsys.readouterr()
    return captured.out + captured.err


def one_example(text: str, tmp: Path, page: Any, hits: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    reports = hostile_reports(tmp, text)
    problems: list[str] = []
    shown: dict[str, str] = {}

    markdown_page = _page(tmp, "notebook_markdown", markdown2html(notebook_markdown(reports, text)))
    table_page = _page(tmp, "notebook_tables", notebook_tables(reports, text))
    front = index_page(reports, text)
    facts = gather(reports)
    job_summary = summary.render(facts)
    summary_page = _page(tmp, "job_summary", markdown2html(job_summary))
    for path in (markdown_page, table_page, front, summary_page):
        problems += [f"{path.name}: {p}" for p in open_in_chromium(page, path)]
        shown[path.name] = path.read_text(encoding="utf-8")
    shown["summary.md"] = job_summary

    for channel, check in (("slack", check_slack), ("teams", check_teams)):
        payload_file = tmp / f"{channel}.json"
        notify.notify(channel, facts, None, payload_file, [SECRET], dry_run=True)
        payload = json.loads(payload_file.read_text(encoding="utf-8"))
        problems += [f"{channel}: {p}" for p in check(payload)]
        shown[channel] = json.dumps(payload, ensure_ascii=False)

    for argv in (("e2e", "summary", "--events", str(reports.events)), ("summary", "--reports-dir", str(reports.root))):
        printed = terminal_output(capsys, *argv)
        problems += [f"terminal ({argv[0]}): raw {c}" for c in raw_controls(printed)]
        shown[" ".join(argv[:2])] = printed

    problems += [f"{name}: holds the configured secret" for name, out in shown.items() if SECRET in out]
    problems += [f"a request reached outside: {hit}" for hit in hits]
    assert problems == [], f"input {text!r}:\n" + "\n".join(problems)


@pytest.fixture
def configured_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHQL_TOKEN", SECRET)


def test_the_page_check_sees_a_script_a_request_and_a_foreign_element(chromium, beacon, tmp_path: Path) -> None:
    """The checker itself, on a page that renders the hostile fragments as unescaped Markdown: raw HTML, links and
    images pass, as they did through the Styler tables and the Markdown of the notebook pages."""
    base, _ = beacon
    fragments = "\n\n".join(s for s in hostile_strings(base) if "refresh" not in s)
    raw = _page(tmp_path, "raw", markdown2html(fragments))
    problems = open_in_chromium(chromium, raw)
    assert "a payload ran" in problems
    assert any(p.startswith("request ") for p in problems) and any(p.startswith("element <") for p in problems)
    assert any(p.startswith("link javascript:") for p in problems), problems


@pytest.mark.usefixtures("configured_secret")
def test_every_known_hostile_fragment_renders_inert_everywhere(chromium, beacon, capsys) -> None:
    base, hits = beacon
    for text in hostile_strings(base):
        with tempfile.TemporaryDirectory() as tmp:
            one_example(text, Path(tmp), chromium, hits, capsys)
    everything = "".join(hostile_strings(base))
    with tempfile.TemporaryDirectory() as tmp:
        one_example(everything, Path(tmp), chromium, hits, capsys)


@pytest.mark.usefixtures("configured_secret")
def test_fuzzed_outside_text_renders_inert_everywhere(chromium, beacon, capsys) -> None:
    base, hits = beacon

    @FUZZ
    @given(text=hostile_text(base))
    def check(text: str) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            one_example(text, Path(tmp), chromium, hits, capsys)

    check()


@FUZZ
@given(text=st.text(min_size=1, max_size=200))
def test_outside_text_is_shown_literally_in_markdown(text: str) -> None:
    """Escaped for Markdown, any text comes back as the same characters (controls and bidi written out): literal
    text, not a lossy filter."""
    from html.parser import HTMLParser

    chunks: list[str] = []
    tags: list[str] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, _attrs: object) -> None:
            tags.append(tag)

        def handle_data(self, data: str) -> None:
            chunks.append(data)

    Collect(convert_charrefs=True).feed(markdown2html(f"- {outside.markdown(text)}"))
    assert tags == ["ul", "li"]
    assert " ".join("".join(chunks).split()) == " ".join(outside.visible(text).split())
