"""reports/history.html: the history store as one offline page to browse by commit — an interactive chart per metric
(hover, zoom, pan, change points, one series per machine), wall-clock and counted metrics side by side, and a
picker that compares any two runs.

One file, no outside request: the charting library (uPlot, from the npm registry, pinned by
`chartlib/package-lock.json` and installed by `npm ci`) is inlined, and a Content-Security-Policy allows only the
page's own two scripts (by hash) and no connection at all. Every string from the store reaches the page only as
JSON inside `<script type="application/json">` with `<`, `>` and `&` escaped, and the page sets text with
textContent: a metric, branch or run id made of markup stays text.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from hologram_lib import atomic
from hologram_lib.clock import utc_stamp
from hologram_lib.errors import InputError

HERE = Path(__file__).parent
CHARTLIB_DIR = HERE / "chartlib"
UPLOT_DIST = CHARTLIB_DIR / "node_modules" / "uplot" / "dist"
_TOKEN = re.compile(r"\{\{(csp|style|chartlib|app|data)\}\}")


def ensure_chartlib() -> Path:
    """The charting library's folder, installed from the committed lockfile on first use (`make venv` does it too)."""
    if (UPLOT_DIST / "uPlot.iife.min.js").is_file():
        return UPLOT_DIST
    npm = shutil.which("npm")
    if npm is None:
        raise InputError("the history page needs the uPlot npm package, and npm is not installed", CHARTLIB_DIR)
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=CHARTLIB_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if done.returncode != 0 or not (UPLOT_DIST / "uPlot.iife.min.js").is_file():
        raise InputError(f"npm ci failed: {' '.join(done.stderr.split())[-300:]}", CHARTLIB_DIR)
    return UPLOT_DIST


def embedded_json(data: object) -> str:
    """JSON that cannot end its <script> element or open another: <, > and & as \\u escapes (JSON.parse reads
    them back as the same characters)."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _script_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


def render(data: dict[str, Any]) -> str:
    """The page's HTML for `data` (history.browse's page data, or an empty-state dict with `runs` empty)."""
    dist = ensure_chartlib()
    chartlib = (dist / "uPlot.iife.min.js").read_text(encoding="utf-8")
    app = (HERE / "history_page.js").read_text(encoding="utf-8")
    for source in (chartlib, app):
        if "</script" in source.lower():  # cannot happen with the pinned files; a new version must not break out
            raise InputError("a script to inline contains '</script'", dist)
    sheets = (HERE / "report.css", HERE / "history_page.css", dist / "uPlot.min.css")
    style = "\n".join(sheet.read_text(encoding="utf-8") for sheet in sheets)
    csp = (
        f"default-src 'none'; script-src {_script_hash(chartlib)} {_script_hash(app)}; "
        "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
    )
    parts = {"csp": csp, "style": style, "chartlib": chartlib, "app": app, "data": embedded_json(data)}
    template = (HERE / "history_page.html").read_text(encoding="utf-8")
    # One pass: a token that appears inside the data (a metric named "{{app}}") is not replaced.
    return _TOKEN.sub(lambda match: parts[match.group(1)], template)


def _made() -> str:
    return utc_stamp()


def empty_data(store: Path, why: str) -> dict[str, Any]:
    return {"schema": "hologram-history-page/1", "made": _made(), "store": str(store), "empty": why, "runs": {"id": []},
            "branches": [], "machines": [], "intervals": [], "metrics": []}  # fmt: skip


def write_history_page(out: Path, store: Path, last: int | None = None) -> tuple[Path, int, int]:
    """Write the page for the newest `last` runs of `store` (default PAGE_RUNS) to `out`, atomically; returns (path,
    runs, metrics). An absent store or a file that is not one is an InputError (exit 2 for `hologram history page`)."""
    from hologram_lib.history.browse import PAGE_RUNS, browse

    data = browse(store, _made(), last or PAGE_RUNS)
    atomic.write_text(out, render(data))
    return out, len(data["runs"]["id"]), len(data["metrics"])


def report_line(out: Path, store: Path) -> str:
    """What `hologram report` does: write the page (an empty one when there is no history yet) and say so in one
    line; a page that cannot be made is said, never a lost report."""
    start = time.perf_counter()
    try:
        if not store.exists():
            atomic.write_text(out, render(empty_data(store, "no history store yet")))
            return f"history page: {out} (no history store yet at {store})"
        _, runs, metrics = write_history_page(out, store)
    except (InputError, OSError, subprocess.SubprocessError) as exc:
        why = exc.one_line() if isinstance(exc, InputError) else " ".join(str(exc).split())[:300]
        out.unlink(missing_ok=True)  # a previous run's page must not pass for this one's
        return f"history page: not written ({why})"
    return f"history page: {out} ({runs} runs, {metrics} metrics, {time.perf_counter() - start:.1f} s)"
