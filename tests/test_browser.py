"""The rendered report in a real headless browser (Debian's Chromium, driven by Playwright)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import ROOT, hologram
from tests.fake_marketplace import STANDARD_SDL, FakeMarket
from tests.graphql_server import graphql_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium reaches for Google's hosts, which this machine refuses.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs Debian's chromium package"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


def open_page(browser, path: Path):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    problems: list[str] = []
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.on(
        "response", lambda response: response.status >= 400 and problems.append(f"{response.status}: {response.url}")
    )
    page.on(
        "request",
        lambda request: (
            not request.url.startswith(("file:", "data:")) and problems.append(f"left the report: {request.url}")
        ),
    )
    page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, problems


def test_index_shows_verdict_perf_table_and_e2e_counts(browser, report_dir: Path) -> None:
    done = hologram("report", "--no-collect", "--reports-dir", str(report_dir))
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    page, problems = open_page(browser, report_dir / "index.html")
    banner = page.locator("#verdict")
    assert banner.is_visible() and "FAIL" in banner.inner_text()  # the fixture regressed core.verify_ms
    assert "core.verify_ms regressed" in banner.inner_text()
    perf_rows = page.locator("#perf tbody tr")
    assert perf_rows.count() >= 2 and "core." in perf_rows.first.inner_text()
    assert "regressed" in page.locator("#drift").inner_text()
    assert "marketplace_publish" in page.locator("#e2e").inner_text()
    links = page.locator("#notebooks a")
    assert links.count() == 3
    screenshot = ROOT / "reports" / "screenshot.png"
    screenshot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
    for index in range(links.count()):
        target = report_dir / links.nth(index).get_attribute("href")
        sub, sub_problems = open_page(browser, target)
        assert sub.locator("main").is_visible() and "failed" not in sub.locator("main").inner_text()[:300]
        assert sub.locator("img").count() >= 1 or "e2e" not in target.name
        problems += sub_problems
    assert problems == []


def test_outside_text_never_becomes_markup(browser, stack, tmp_path: Path) -> None:
    """An evil marketplace's error goes probe → events.jsonl → report; every page shows it as text."""
    reports = tmp_path / "reports"
    market = FakeMarket(stack.ipfs_api, "evil_error")
    with graphql_server(STANDARD_SDL, market) as url:
        probe = hologram(
            "e2e", "probe", "--events", str(reports / "e2e" / "events.jsonl"), "--perf-dir", str(reports / "perf"),
            env={"IPFS_API": stack.ipfs_api, "GRAPHQL_URL": url},
        )  # fmt: skip
    assert probe.returncode == 1 and "onerror" in (reports / "e2e" / "events.jsonl").read_text()
    done = hologram("report", "--no-collect", "--reports-dir", str(reports))
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    for name in ("index.html", "e2e_probe.html"):
        page, _ = open_page(browser, reports / name)
        assert page.locator("[onerror], main script").count() == 0, name
        assert page.title() != "pwned", name
        assert '<img src=x onerror="document.title=' in page.locator("main").inner_text(), name
