"""`make pictures`: the documentation's screenshots, taken again from a real run.

Run from the project root: `.venv/bin/python tests/bench/pictures.py [--runs 4] [--out docs]`. In a temporary folder
(never the checkout's reports/ or .history/): `hologram report` RUNS times against the embedded stack, each run
appended to a history store of its own, so the last report has real trends on main and drift against the runs before
it; then headless Chromium (Debian's, as the browser tests drive it) photographs

- report.png: the last report's front page, its first screen and a half (verdict, p95 rows, trends);
- history.png: its trends on main and the slow-drift table;
- perf_analysis.png: the perf_analysis notebook's page down to its latency distributions;
- history-page.png: `hologram history page` over a demonstration store of 1,000 runs on two machines with a +25 %
  step in core.verify_ms at run 600 (no real store here has 1,000 runs; the page is the same code either way).

Each PNG is reduced to a 256-colour palette (Pillow) and its size printed: screenshots are flat colour, so the palette
keeps them legible at a third of the size.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hologram_lib.history.records import MetricRow, RunRecord  # noqa: E402
from hologram_lib.history.store import add_runs  # noqa: E402
from tests.chromium import launched  # noqa: E402

HOLOGRAM = str(Path(sys.executable).with_name("hologram"))
WIDTH = 1200
DEMO_MACHINES = ("Linux x86_64 2×Intel Xeon", "Linux aarch64 4×Neoverse-N1")
DEMO_METRICS = {"core.verify_ms": 0.03, "core.encode_1MB_ms": 0.33, "core.encode_1MB_instructions": 4.29e6}


def hologram(*args: str, env: dict[str, str]) -> None:
    done = subprocess.run([HOLOGRAM, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"hologram {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")


def real_reports(tmp: Path, runs: int) -> Path:
    """RUNS reports against the embedded stack, one history store: the last report's folder."""
    env = {**os.environ, "HOLOGRAM_HISTORY": str(tmp / "history.duckdb")}
    env.pop("IPFS_API", None), env.pop("GRAPHQL_URL", None)  # the embedded stack, started and stopped by each run
    reports = tmp / "reports"
    for number in range(1, runs + 1):
        print(f"report {number} of {runs} …", flush=True)
        hologram("report", "--reports-dir", str(reports), "--state-dir", str(tmp / "stack"), env=env)
    return reports


def demo_store(store: Path, runs: int = 1000, step_at: int = 600) -> Path:
    """Runs as reports store them, two machines, a +25 % step in core.verify_ms from run `step_at` on."""
    rng = np.random.default_rng(7)
    records = []
    for i in range(runs):
        machine = DEMO_MACHINES[i % 2]
        rows = []
        for key, level in DEMO_METRICS.items():
            step = 1.25 if key == "core.verify_ms" and i >= step_at else 1.0
            noise = 0.0005 if key.endswith("_instructions") else 0.04
            centre = (
                level * step * (1.3 if i % 2 and key.endswith("_ms") else 1.0) * float(np.exp(noise * rng.normal()))
            )
            rows.append(MetricRow(key, 10, 2000, centre * 1.01, centre * 1.4, centre * 1.7, centre * 1.05, centre,
                                  centre * 1.38, 0.05))  # fmt: skip
        commit = f"{int(rng.integers(1 << 62)):016x}{i:024x}"
        when = datetime(2026, 9, 1) + timedelta(hours=2 * i)
        records.append(RunRecord(f"run-{i:04d}", when, commit, "main", "main", f"ci-{i % 4}", machine, True, "{}",
                                 "pictures", tuple(rows)))  # fmt: skip
    add_runs(store, records)
    return store


def small_png(shot: bytes, out: Path) -> None:
    """The screenshot as a 256-colour palette PNG (flat UI colours survive; the file shrinks to about a third)."""
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, optimize=True)
    print(f"{out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}: {image.width}×{image.height}, "
          f"{out.stat().st_size / 1024:.0f} KiB")  # fmt: skip


def opened(browser: Any, page_file: Path, ready: str | None = None) -> Any:
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")
    if ready:
        page.wait_for_selector(ready)
    return page


def top(page: Any, height: int) -> dict[str, float]:
    """The page's first `height` pixels (all of it when shorter)."""
    return {"x": 0, "y": 0, "width": WIDTH, "height": min(height, page.evaluate("document.body.scrollHeight"))}


def section(page: Any, first: str, last: str) -> dict[str, float]:
    """The page area from the heading before `first` to the bottom of `last`, across the page's width."""
    top = page.locator(first).evaluate("e => (e.previousElementSibling || e).getBoundingClientRect().top + scrollY")
    bottom = page.locator(last).evaluate("e => e.getBoundingClientRect().bottom + scrollY")
    return {"x": 0, "y": max(0.0, top - 12), "width": WIDTH, "height": bottom - top + 24}


def photograph(reports: Path, history_page: Path, out: Path) -> None:
    with launched() as browser:
        front = opened(browser, reports / "index.html")
        small_png(front.screenshot(clip=top(front, 1350), full_page=True), out / "report.png")
        trends_end = "#slow-drift" if front.locator("#slow-drift").count() else "#trends"
        small_png(front.screenshot(clip=section(front, "#trends", trends_end), full_page=True), out / "history.png")
        notebook = opened(browser, reports / "perf_analysis.html")
        small_png(notebook.screenshot(clip=top(notebook, 2400), full_page=True), out / "perf_analysis.png")
        page = opened(browser, history_page, ready="body[data-ready=yes]")
        small_png(page.screenshot(full_page=False), out / "history-page.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4, help="reports in a row (the trends' points)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where the PNGs go (%(default)s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pictures-") as name:
        tmp = Path(name)
        reports = real_reports(tmp, args.runs)
        store = demo_store(tmp / "demo.duckdb")
        env = {**os.environ, "HOLOGRAM_HISTORY": str(store)}
        hologram("history", "page", "--store", str(store), "--out", str(tmp / "history.html"), env=env)
        args.out.mkdir(parents=True, exist_ok=True)
        photograph(reports, tmp / "history.html", args.out)


if __name__ == "__main__":
    main()
