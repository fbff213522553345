"""The rendered report in a real headless browser (Debian's Chromium, driven by Playwright)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chromium import launched, open_page
from tests.fake_marketplace import STANDARD_SDL, FakeMarket
from tests.graphql_server import graphql_server
from tests.helpers import ROOT, hologram


@pytest.fixture(scope="module")
def browser():
    with launched() as instance:
        yield instance


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
    screenshot = ROOT / "reports" / "test-run" / "screenshot.png"  # never beside the user's own report
    screenshot.parent.mkdir(parents=True, exist_ok=True)
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


def _seed_main_history(store: Path, runs: int = 60, step_at: int = 40) -> None:
    """Main's history as many reports would leave it: levels like the fixture's, and a +25 % step at `step_at`."""
    from datetime import datetime, timedelta

    import numpy as np

    from hologram_lib.history.lanes import current_lane
    from hologram_lib.history.records import MetricRow, RunRecord
    from hologram_lib.history.store import add_runs

    here = current_lane()  # the front page's trends and baseline read this repository on this machine

    rng = np.random.default_rng(7)
    records = []
    for i in range(runs):
        shift = 1.25 if i >= step_at else 1.0
        rows = tuple(
            MetricRow(metric, 10, 400, level * shift * float(np.exp(0.04 * rng.standard_normal())),
                      level * 1.3 * shift * float(np.exp(0.06 * rng.standard_normal())))
            for metric, level in (("core.verify_ms", 1.0), ("core.encode_1MB_ms", 10.0))
        )  # fmt: skip
        when = datetime(2026, 10, 1) + timedelta(hours=6 * i)
        commit = f"{i:07x}abc"
        records.append(RunRecord(f"main-{i:03d}", when, commit, "main", "main", "ci", here.machine, True, "{}", "t",
                                 rows, here.repository))  # fmt: skip
    add_runs(store, records)


def test_front_page_shows_trends_change_points_and_slow_drift(browser, report_dir: Path) -> None:
    import os

    store = Path(os.environ["HOLOGRAM_HISTORY"])  # this test's own store (conftest)
    _seed_main_history(store)
    done = hologram("report", "--no-collect", "--reports-dir", str(report_dir))
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert "history: appended run test-run" in done.stdout
    page, problems = open_page(browser, report_dir / "index.html")
    charts = page.locator("#trends img")
    assert charts.count() == 2  # one per budgeted metric with history (graphql has a budget but no runs)
    for index in range(charts.count()):
        chart = charts.nth(index)
        assert chart.get_attribute("src").startswith("data:image/png;base64,")  # offline: embedded PNG
        assert chart.evaluate("img => img.complete && img.naturalWidth > 300")  # decoded, not a broken image
    assert {charts.nth(i).get_attribute("id") for i in range(2)} == {"trend-core.verify_ms", "trend-core.encode_1MB_ms"}
    assert page.locator("#budget-chart").evaluate("img => img.naturalWidth > 300")
    drift = page.locator("#slow-drift tbody tr")
    assert drift.count() == 2
    for index in range(2):
        row = drift.nth(index)
        assert row.get_attribute("class") == "regressed"  # +25 % in one step: beyond the 10 % threshold
        # The step at run 41 of 60 (commit 0x28) is run 30 of the last 50 (this run, appended, is the newest).
        assert "run 30 of 50 (commits 0000027a..0000028a): ×1.2" in row.inner_text()
    assert "drift judged against the last 10 green main runs in" in page.locator("#notes").inner_text()
    assert "history: appended run test-run" in page.locator("#history").inner_text()
    page.locator("main").screenshot(path=str(ROOT / "reports" / "test-run" / "history-screenshot.png"))
    assert problems == []


def _seed_hostile_history(store: Path, names: list[str], runs: int = 12) -> None:
    """Main's history as an imported CSV can leave it: metrics named by an attacker, beside the fixture's own."""
    from datetime import datetime, timedelta

    from hologram_lib.history.lanes import current_lane
    from hologram_lib.history.records import MetricRow, RunRecord
    from hologram_lib.history.store import add_runs

    here = current_lane()  # the front page's trends and baseline read this repository on this machine

    records = []
    for i in range(runs):
        rows = tuple(MetricRow(name, 10, 400, 1.0 + 0.01 * i, 1.3 + 0.01 * i) for name in names)
        rows += (MetricRow("core.verify_ms", 10, 400, 0.7, 0.9), MetricRow("core.encode_1MB_ms", 10, 400, 10.0, 13.0))
        when, commit = datetime(2026, 10, 1) + timedelta(hours=6 * i), f"{i:07x}abc"
        records.append(RunRecord(f"main-{i:03d}", when, commit, "main", "main", "ci", here.machine, True, "{}", "t",
                                 rows, here.repository))  # fmt: skip
    add_runs(store, records)


def _hostile_events(events: Path, text: str, secret: str) -> None:
    """A deployment whose app name and CID are `text`, then a run that failed with `text` and the token as error."""
    import json

    ok = {"suite": "phase8", "status": "ok", "duration_ms": 2.0, "name": text, "cid": text}
    with events.open("a", encoding="utf-8") as log:
        for step in ("preflight", "ipfs_publish", "marketplace_publish", "resolve", "search", "run_end"):
            record = {"ts": "2026-11-28T00:00:00.000Z", "run_id": "run-2", "event": step, **ok}
            log.write(json.dumps({**record, "last_ok": "search"} if step == "run_end" else record) + "\n")
        failed = {"ts": "2026-11-28T01:00:00.000Z", "run_id": "run-3", "suite": "phase8", "duration_ms": 1.0}
        error = f"{text} (token {secret})"
        log.write(json.dumps({**failed, "event": "ipfs_publish", "status": "fail", "error": error}) + "\n")
        end = {**failed, "event": "run_end", "status": "fail", "last_ok": None, "failed_step": "ipfs_publish"}
        log.write(json.dumps({**end, "error": error}) + "\n")


def test_a_report_from_hostile_names_runs_no_script_fetches_nothing_and_holds_no_secret(
    browser, report_dir: Path
) -> None:
    """Metric names from main's history (the imported-CSV route), an app name, a CID and an error written by an
    attacker, the configured token inside that error: every page of the report opens in Chromium with no script
    run, no request beyond the page itself, no element, link or image the templates did not make, and no token —
    and shows the hostile text as text (a metric name `<img src=x onerror=…>` ran in baseline_drift.html)."""
    import json
    import os

    from tests.hostile_text import beacon_server, hostile_strings, open_in_chromium

    secret = "tok-hostile-3c9e1a7f5b"
    with beacon_server() as (base, hits):
        fragments = hostile_strings(base)
        names = [f"core.{fragment}_ms" for fragment in fragments[:12]]
        _seed_hostile_history(Path(os.environ["HOLOGRAM_HISTORY"]), names)
        _hostile_events(report_dir / "e2e" / "events.jsonl", "".join(fragments), secret)
        profiles = {name: {"cold_p95_ms": name, "warm_p95_ms": 1.0, "ratio": name} for name in names}
        (report_dir / "perf" / "cache_profiles.json").write_text(json.dumps(profiles), encoding="utf-8")
        done = hologram("report", "--no-collect", "--reports-dir", str(report_dir), env={"GRAPHQL_TOKEN": secret})
        assert done.returncode == 0, done.stdout + done.stderr[-2000:]
        assert secret not in done.stdout + done.stderr
        problems: list[str] = []
        for name in ("index.html", "perf_analysis.html", "baseline_drift.html", "e2e_probe.html"):
            path = report_dir / name
            page = browser.new_page()
            problems += [f"{name}: {p}" for p in open_in_chromium(page, path)]
            main = page.locator("main")
            text = main.inner_text() if main.count() == 1 else ""  # an injected meta refresh leaves no <main>
            assert "This notebook failed" not in text, f"{name}: {text[:500]}"
            page.close()
            html = path.read_text(encoding="utf-8")
            if secret in html:
                problems.append(f"{name}: holds the configured token")
            if name in ("baseline_drift.html", "index.html"):
                assert "core.<img src=x onerror=window.__pwned=1>_ms" in text, name  # shown, as text
            if name in ("e2e_probe.html", "index.html"):
                assert "[click me](javascript:window.__pwned=1)" in text, name
        assert problems == [] and hits == [], problems + hits
