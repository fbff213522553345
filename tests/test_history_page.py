"""reports/history.html: the history store browsed by commit, built from a real DuckDB store (temp, never .history/)
and driven in Debian's headless Chromium — load, hover, zoom, pan, compare, hostile names, screenshot."""

from __future__ import annotations

import io
import json
import math
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from hologram_lib.history.browse import browse, centre_interval, read_view, unit_of
from hologram_lib.history.records import MetricRow, RunRecord
from hologram_lib.history.store import add_runs
from hologram_lib.report.history_page import embedded_json, report_line
from tests.chromium import launched, open_page
from tests.helpers import ROOT, hologram

RUNS = 1_000
STEP_AT = 600  # core.verify_ms is 25 % slower from this run on, on both machines
MACHINES = ("Linux x86_64 2×Intel Xeon", "Darwin arm64 8×Apple M2")
METRICS = {
    "core.verify_ms": 1.0,
    "core.encode_1MB_ms": 10.0,
    "core.encode_1MB_instructions": 2.0e7,
    "core.encode_1MB_est_cycles": 3.1e7,
    "graphql.resolve_ms": 3.0,
}


def thousand_runs() -> list[RunRecord]:
    """1,000 runs as reports store them: two kinds of machine, main plus a few PR runs, every fifth run a repeat of
    the commit before it, and a +25 % step in core.verify_ms at run 600."""
    rng = np.random.default_rng(11)
    records = []
    commit = ""
    for i in range(RUNS):
        if i % 5 != 1 or not commit:
            commit = f"{int(rng.integers(1 << 62)):016x}{i:024x}"
        machine = MACHINES[1] if i % 3 == 0 else MACHINES[0]
        branch = "feature/faster-verify" if i % 50 == 49 else "main"
        rows = []
        for key, level in METRICS.items():
            shift = 1.25 if key == "core.verify_ms" and i >= STEP_AT else 1.0
            kind = 1.6 if machine == MACHINES[1] and key.endswith("_ms") else 1.0
            noise = 0.0005 if key.endswith(("_instructions", "_cycles")) else 0.04
            centre = level * shift * kind * float(np.exp(noise * rng.standard_normal()))
            rows.append(MetricRow(key, 10, 2000, centre * 1.01, centre * 1.4, centre * 1.7, centre * 1.05, centre,
                                  centre * 1.38, 0.05))  # fmt: skip
        when = datetime(2026, 3, 1) + timedelta(hours=2 * i)
        green = i % 13 != 0
        records.append(RunRecord(f"run-{i:04d}", when, commit, branch, "main", f"ci-{i % 4}", machine, green, "{}",
                                 "test", tuple(rows)))  # fmt: skip
    return records


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("history-page") / "history.duckdb"
    stored, _ = add_runs(store, thousand_runs())
    assert len(stored) == RUNS
    return store


@pytest.fixture(scope="module")
def big_page(big_store: Path) -> Path:
    out = big_store.parent / "reports" / "history.html"
    # Module-scoped: built before the per-test environment exists, so the store is named here (never .history/).
    command = [sys.executable, "-m", "hologram_lib.cli", "history", "page", "--store", str(big_store)]
    command += ["--out", str(out)]
    env = {**os.environ, "HOLOGRAM_HISTORY": str(big_store)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert f"history page: {out} (1000 runs, 5 metrics from {big_store})" in done.stdout
    return out


@pytest.fixture(scope="module")
def browser():
    with launched() as instance:
        yield instance


def loaded(browser, path: Path):
    page, problems = open_page(browser, path)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.wait_for_selector("body[data-ready]", timeout=30_000)
    return page, problems


def page_data(path: Path) -> dict:
    found = re.search(r'<script id="history-data" type="application/json">(.*?)</script>', path.read_text(), re.S)
    assert found
    return json.loads(found.group(1))


# ---- the data: order, series, intervals, units (no browser) ---------------------------------------------------------


def test_metric_keys_group_by_their_unit_suffix() -> None:
    assert unit_of("core.encode_1MB_ms") == ("core.encode_1MB", "wall-clock", "ms")
    assert unit_of("core.encode_1MB_instructions") == ("core.encode_1MB", "counted", "instructions")
    assert unit_of("core.encode_1MB_est_cycles") == ("core.encode_1MB", "counted", "est. cycles")
    assert unit_of("ipfs.add_bytes") == ("ipfs.add", "other", "bytes")  # any new suffix is a unit of its own
    assert unit_of("plain") == ("plain", "other", "")


def test_centre_interval_is_the_t_interval_of_the_log_process_medians() -> None:
    low, high = centre_interval(2.0, 0.1, 10)
    half = 2.2621571628 * 0.1 / math.sqrt(10)  # t(0.975, 9)
    assert low == pytest.approx(2.0 * math.exp(-half)) and high == pytest.approx(2.0 * math.exp(half))
    wider = centre_interval(2.0, 0.1, 3)
    assert wider[0] < low and wider[1] > high  # fewer processes, wider interval


@pytest.mark.slow
def test_runs_are_in_commit_order_with_machines_apart_and_change_points_per_series(big_store: Path) -> None:
    view = read_view(big_store)
    assert len(view.runs) == RUNS
    main = [run for run in view.runs if run.branch == "main"]
    # A commit's runs sit together: no commit reappears after another commit has started.
    seen: list[str | None] = []
    for run in main:
        if not seen or seen[-1] != run.commit:
            assert run.commit not in seen
            seen.append(run.commit)
    assert {run.machine for run in view.runs} == set(MACHINES)
    data = browse(big_store, "now")
    verify = next(m for m in data["metrics"] if m["key"] == "core.verify_ms")
    on_main = [c for c in verify["changes"] if c["branch"] == "main"]
    # One step, found once in each machine's series, at the first run of that machine from run 600 on.
    assert sorted(data["machines"][c["machine"]] for c in on_main) == sorted(MACHINES)
    for change in on_main:
        run_id = data["runs"]["id"][change["run"]]
        assert STEP_AT <= int(run_id.split("-")[1]) <= STEP_AT + 3, run_id
        assert change["ratio"] == pytest.approx(1.25, rel=0.05) and change["p"] < 0.001
    counted = next(m for m in data["metrics"] if m["key"] == "core.encode_1MB_instructions")
    assert counted["changes"] == [] and counted["kind"] == "counted"
    # The interval: the centre's, from 10 processes with a log spread of 0.05.
    first = verify["low"][0], verify["level"][0], verify["high"][0]
    assert first[0] < first[1] < first[2]
    assert data["intervals"][verify["interval"][0]] == "median 95% CI over 10 processes"


@pytest.mark.slow
def test_running_sum_cost_finds_the_same_breaks_as_ruptures_own_l2() -> None:
    """The history page seeks change points in every series of the store; the O(1) cost must not change them."""
    import ruptures

    from hologram_lib.history.changes import cumulative_l2

    rng = np.random.default_rng(5)
    for _ in range(40):
        n = int(rng.integers(10, 600))
        levels = np.zeros(n)
        for _ in range(int(rng.integers(0, 4))):
            levels[int(rng.integers(0, n)) :] += rng.normal(0, 0.1)
        values = levels + rng.uniform(0.01, 0.1) * rng.standard_normal(n)
        penalty = 3 * 0.05**2 * math.log(n)
        ours = ruptures.Binseg(custom_cost=cumulative_l2(), min_size=5, jump=1).fit(values).predict(pen=penalty)
        theirs = ruptures.Binseg(model="l2", min_size=5, jump=1).fit(values).predict(pen=penalty)
        assert ours == theirs


def test_embedded_json_cannot_close_its_script_and_reads_back_the_same() -> None:
    hostile = {"name": "</script><script>alert(1)</script>", "amp": "&lt;", "sep": "\u2028"}
    text = embedded_json(hostile)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == hostile


def test_page_command_refuses_a_missing_or_foreign_store_in_one_line(tmp_path: Path) -> None:
    missing = hologram("history", "page", "--store", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "h.html"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert f"{tmp_path / 'none.duckdb'}: no history store here" in missing.stderr
    foreign = tmp_path / "notes.duckdb"
    foreign.write_text("not a database\n")
    bad = hologram("history", "page", "--store", str(foreign), "--out", str(tmp_path / "h.html"))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and str(foreign) in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "h.html").exists()


def test_last_keeps_the_newest_runs_and_says_how_many_the_store_holds(big_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "history.html"
    done = hologram("history", "page", "--store", str(big_store), "--out", str(out), "--last", "100")
    assert done.returncode == 0 and "(100 runs, 5 metrics" in done.stdout
    data = page_data(out)
    assert data["total"] == RUNS and sorted(data["runs"]["id"]) == [f"run-{i:04d}" for i in range(900, 1000)]
    assert all(len(metric["level"]) == 100 for metric in data["metrics"])


# ---- the page in Chromium --------------------------------------------------------------------------------------------


def test_page_loads_offline_with_a_chart_per_metric_wall_clock_beside_counted(browser, big_page: Path) -> None:
    html = big_page.read_text()
    assert "<script src" not in html and "http://" not in html.split("<script>")[0]  # one file, no outside request
    page, problems = loaded(browser, big_page)
    assert page.locator("body").get_attribute("data-ready") == "yes"
    assert "1000 runs · 5 metrics · 2 branch(es) · 2 machine(s)" in page.locator("#summary").inner_text()
    assert page.locator(".chart-box canvas").count() == 5
    row = page.locator("section.metric-row", has=page.locator("h3", has_text="core.encode_1MB"))
    kinds = [row.locator(".chart-box .kind").nth(i).inner_text() for i in range(3)]
    assert kinds == [
        "core.encode_1MB_ms · wall-clock (ms)",
        "core.encode_1MB_est_cycles · counted (est. cycles)",
        "core.encode_1MB_instructions · counted (instructions)",
    ]
    legend = page.locator("#legend").inner_text()
    assert all(machine in legend for machine in MACHINES)
    main_runs = sum(1 for i in range(RUNS) if i % 50 != 49)
    assert page.locator("#range").inner_text().startswith(f"showing {main_runs} of {main_runs} runs")
    changes = page.locator('.chart-box[data-metric="core.verify_ms"] .changes li')
    assert changes.count() == 2 and "×1.2" in changes.first.inner_text()
    fits = "b => b.querySelector('canvas').clientWidth <= b.clientWidth"
    assert all(page.locator(".chart-box").nth(i).evaluate(fits) for i in range(5))  # no chart spills out of its box
    canvas = '.chart-box[data-metric="core.verify_ms"] canvas'
    wide = page.locator(canvas).evaluate("c => c.clientWidth")
    page.set_viewport_size({"width": 600, "height": 900})  # the charts follow the window
    page.wait_for_function("a => document.querySelector(a[0]).clientWidth < a[1]", arg=[canvas, wide])
    assert all(page.locator(".chart-box").nth(i).evaluate(fits) for i in range(5))
    assert problems == []


def _plot_box(page, metric: str) -> dict:
    over = page.locator(f'.chart-box[data-metric="{metric}"] .u-over')
    over.scroll_into_view_if_needed()
    box = over.bounding_box()
    assert box is not None
    return box


def test_hover_shows_the_commit_branch_run_verdict_and_interval(browser, big_page: Path, big_store: Path) -> None:
    page, problems = loaded(browser, big_page)
    box = _plot_box(page, "core.verify_ms")
    tooltip = page.locator("#tooltip")
    assert tooltip.is_hidden()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    tooltip.wait_for(state="visible")
    run_id = tooltip.get_attribute("data-run")
    run = next(r for r in read_view(big_store).runs if r.run_id == run_id)
    text = tooltip.inner_text()
    assert f"commit {run.commit[:12]} · {run.recorded_at:%Y-%m-%d %H:%M} UTC" in text
    assert f"branch main · run {run_id}" in text and f"machine {run.machine}" in text
    assert f"verdict {'pass' if run.green else 'fail'}" in text
    assert re.search(r"median 95% CI over 10 processes: [\d.]+ – [\d.]+ ms", text)
    assert 400 <= int(run_id.split("-")[1]) <= 600  # the middle of the axis is the middle of main's runs
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)  # click: compare it as run B
    assert page.locator("#run-b option:checked").inner_text().endswith(f"{run_id} · {run.machine}")
    page.mouse.move(box["x"] - 40, box["y"] - 40)
    tooltip.wait_for(state="hidden")
    assert problems == []


def _range(page) -> tuple[float, float]:
    charts = page.locator("#charts")
    return float(charts.get_attribute("data-x-min")), float(charts.get_attribute("data-x-max"))


def test_drag_and_wheel_zoom_and_pan_change_the_range_of_every_chart(browser, big_page: Path) -> None:
    page, problems = loaded(browser, big_page)
    full = _range(page)
    box = _plot_box(page, "core.verify_ms")
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.4, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=8)
    page.mouse.up()
    dragged = _range(page)
    width = full[1] - full[0]
    assert dragged[0] == pytest.approx(full[0] + 0.4 * width, abs=width * 0.02)
    assert dragged[1] == pytest.approx(full[0] + 0.6 * width, abs=width * 0.02)
    assert re.match(r"showing (\d+) of 980 runs", page.locator("#range").inner_text())
    shown = int(page.locator("#range").inner_text().split()[1])
    assert 180 <= shown <= 215
    page.mouse.move(box["x"] + box["width"] * 0.5, y)
    page.mouse.wheel(0, -200)  # zoom in at the pointer
    page.wait_for_function("x => Number(document.getElementById('charts').dataset.xMax) < x", arg=dragged[1])
    wheeled = _range(page)
    assert wheeled[1] - wheeled[0] < dragged[1] - dragged[0]
    page.click("#pan-left")
    panned = _range(page)
    assert panned[0] < wheeled[0] and panned[1] - panned[0] == pytest.approx(wheeled[1] - wheeled[0])
    # The x range is shared: another metric's chart follows (its hover names a run inside the zoomed range).
    other = _plot_box(page, "graphql.resolve_ms")
    page.mouse.move(other["x"] + other["width"] * 0.01, other["y"] + other["height"] / 2)
    index = int(page.locator("#tooltip").get_attribute("data-run").split("-")[1])
    assert index > 300  # without the shared range the left edge would be run 0
    page.click("#zoom-reset")
    assert _range(page) == full
    assert problems == []


def test_compare_shows_both_runs_values_and_their_ratio(browser, big_page: Path) -> None:
    data = page_data(big_page)
    ids = data["runs"]["id"]
    a, b = ids.index("run-0100"), ids.index("run-0700")
    page, problems = loaded(browser, big_page)
    assert page.locator("#compare tbody tr").count() == 5  # the two newest runs of main, by default
    page.select_option("#run-a", str(a))
    page.select_option("#run-b", str(b))
    row = page.locator('#compare tr[data-metric="core.verify_ms"] td')
    cells = [row.nth(i).inner_text() for i in range(8)]
    verify = next(m for m in data["metrics"] if m["key"] == "core.verify_ms")
    assert cells[0:2] == ["core.verify_ms", "ms"]
    assert float(cells[2]) == pytest.approx(verify["level"][a], rel=1e-3)
    assert float(cells[3]) == pytest.approx(verify["level"][b], rel=1e-3)
    assert cells[4] == f"×{verify['level'][b] / verify['level'][a]:.3f}"
    assert cells[7] == f"×{verify['p95'][b] / verify['p95'][a]:.3f}"
    note = page.locator("#compare-note").inner_text()
    assert "A: " in note and "run-0100" in note and "B: " in note and "run-0700" in note
    assert problems == []


def test_screenshot_shows_the_charts_drawn(browser, big_page: Path) -> None:
    from PIL import Image

    page, problems = loaded(browser, big_page)
    shot = page.screenshot(full_page=False)
    (big_page.parent / "history-page.png").write_bytes(shot)
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    pixels = np.asarray(image).reshape(-1, 3).astype(int)
    assert len(np.unique(pixels, axis=0)) > 200  # not a blank page
    blue = np.all(np.abs(pixels - (0x15, 0x65, 0xC0)) < 40, axis=1).sum()  # the first machine's series
    orange = np.all(np.abs(pixels - (0x2E, 0x7D, 0x32)) < 40, axis=1).sum()  # the second machine's
    assert blue > 500 and orange > 500, (blue, orange)
    drawn = page.locator(".chart-box canvas").first.evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;"
        " for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n / (c.width * c.height); }"
    )
    assert drawn > 0.01  # lines, points, bands and axes on the canvas
    assert problems == []


# ---- hostile strings, the empty store, the report ------------------------------------------------------------------

EVIL = "</script><img src=x onerror=\"document.title='pwned'\">"


def test_hostile_names_from_the_store_stay_text(browser, tmp_path: Path) -> None:
    store = tmp_path / "history.duckdb"
    records = [
        RunRecord(f"r{i}{EVIL}", datetime(2026, 1, 1) + timedelta(hours=i), f"c{i}{EVIL}", f"main{EVIL}", "main",
                  f"runner{EVIL}", f"machine{EVIL}", True, "{}", "test",
                  (MetricRow(f"core.x{EVIL}_ms", 3, 100, 1.0 + i / 100, 1.5, centre_ms=1.0, spread_log=0.1),))
        for i in range(12)
    ]  # fmt: skip
    add_runs(store, records)
    out = tmp_path / "history.html"
    done = hologram("history", "page", "--store", str(store), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "<img src=x" not in out.read_text()
    page, problems = loaded(browser, out)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    box = page.locator(".chart-box .u-over").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert EVIL in page.locator("#tooltip").inner_text()
    assert EVIL in page.locator("#charts").inner_text() and EVIL in page.locator("#compare").inner_text()
    assert page.locator("main img, [onerror]").count() == 0
    assert page.title() == "Hologram history by commit" and dialogs == []
    assert problems == []


def test_content_security_policy_runs_only_the_pages_own_scripts(browser, big_page: Path, tmp_path: Path) -> None:
    """Defence in depth: a script that got into the page some other way would not run, nor could it call out."""
    tampered = tmp_path / "history.html"
    extra = "<script>document.title = 'pwned'</script><img src='http://127.0.0.1:9/x.png'>"
    tampered.write_text(big_page.read_text().replace("</main>", extra + "</main>", 1))
    page = browser.new_page()
    console: list[str] = []
    failed: dict[str, str | None] = {}
    page.on("console", lambda message: console.append(message.text))
    page.on("requestfailed", lambda request: failed.update({request.url: request.failure}))
    page.goto(tampered.as_uri())
    page.wait_for_selector("body[data-ready=yes]")  # the page's own scripts ran…
    assert page.title() == "Hologram history by commit"  # …the extra one did not
    assert any("Executing inline script violates the following Content Security Policy" in m for m in console)
    assert failed == {"http://127.0.0.1:9/x.png": "csp"}  # refused by the policy, before any connection


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return done.stdout.strip()


def test_hover_names_the_commit_by_its_subject_from_the_local_repository(browser, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    subjects = ["Encode: reuse the witness buffer", f"Verify: {EVIL}"]
    commits = []
    for subject in subjects:
        _git(repo, "commit", "-q", "--allow-empty", "-m", subject, "-m", "a body line that is not the subject")
        commits.append(_git(repo, "rev-parse", "HEAD"))
    commits.append("0123456789abcdef0123456789abcdef01234567")  # a commit this clone does not have
    store = tmp_path / "history.duckdb"
    add_runs(store, [
        RunRecord(f"r{i}", datetime(2026, 1, 1) + timedelta(hours=i), commit, "main", "main", "ci", "m", True, "{}",
                  "test", (MetricRow("core.verify_ms", 1, 100, 1.0, 1.5),))
        for i, commit in enumerate(commits)
    ])  # fmt: skip
    out = tmp_path / "history.html"
    done = hologram("history", "page", "--store", str(store), "--out", str(out), cwd=repo)
    assert done.returncode == 0, done.stderr
    assert page_data(out)["runs"]["subject"] == [*subjects, None]
    page, problems = loaded(browser, out)
    box = _plot_box(page, "core.verify_ms")
    for fraction, expected in ((0.02, subjects[0]), (0.5, subjects[1])):
        page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2)
        assert f"“{expected}”" in page.locator("#tooltip").inner_text()
    page.mouse.move(box["x"] + box["width"] * 0.98, box["y"] + box["height"] / 2)
    assert "“" not in page.locator("#tooltip").inner_text()  # unknown here: no subject, no error
    assert page.locator("main img, [onerror]").count() == 0 and page.title() == "Hologram history by commit"
    assert problems == []


def test_report_without_a_store_writes_an_empty_page_that_says_so(browser, tmp_path: Path) -> None:
    out = tmp_path / "history.html"
    line = report_line(out, tmp_path / "absent.duckdb")
    assert line == f"history page: {out} (no history store yet at {tmp_path / 'absent.duckdb'})"
    page, problems = loaded(browser, out)
    assert page.locator("body").get_attribute("data-ready") == "empty"
    assert "No runs to show (no history store yet)" in page.locator("#summary").inner_text()
    assert problems == []


def test_a_page_that_cannot_be_made_is_said_and_no_stale_page_is_left(tmp_path: Path) -> None:
    out = tmp_path / "history.html"
    out.write_text("last run's page")
    store = tmp_path / "broken.duckdb"
    store.write_text("not a database\n")
    line = report_line(out, store)
    assert line.startswith("history page: not written (") and str(store) in line
    assert not out.exists()


@pytest.mark.notebook
def test_report_writes_the_page_and_the_front_page_links_it(browser, report_dir: Path) -> None:
    done = hologram("report", "--no-collect", "--reports-dir", str(report_dir))
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert f"history page: {report_dir / 'history.html'} (1 runs, " in done.stdout
    index, problems = open_page(browser, report_dir / "index.html")
    link = index.locator("#history-link a")
    assert link.get_attribute("href") == "history.html"
    link.click()
    index.wait_for_selector("body[data-ready]")
    assert index.locator("#summary").inner_text().startswith("1 runs · ")
    assert "test-run" in index.locator("#compare-note").inner_text()  # this report's run, just appended
    assert problems == []
