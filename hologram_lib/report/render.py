"""Execute the notebooks with papermill (in parallel) and render them to offline HTML pages.

A notebook is executed to a temporary name and moved into place only on success (papermill writes its
output before it raises, which would make a failed run look up to date). A failed notebook still gets a page:
the rendered notebook up to the failure, under a banner naming the cell and the error. The HTML uses
nbconvert's `basic` template inside a small page of our own: no require.js, no MathJax, no CDN, so the report
works offline and inside a CI artifact.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbconvert import HTMLExporter

from hologram_lib import atomic, outside
from hologram_lib.layout import Reports
from hologram_lib.report import kernel
from hologram_lib.report import params as notebook_params

PAGE_CSS = Path(__file__).with_name("report.css").read_text(encoding="utf-8")


class IpcKernelManager(AsyncKernelManager):
    """Kernels talk over IPC sockets, each in a directory of its own: parallel kernels cannot race for the same
    TCP port (papermill#511), nor share socket files (the default IPC path is relative to the working directory)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.transport = "ipc"
        private = Path(tempfile.mkdtemp(dir=_kernel_dir()))
        self.ip = str(private / "kernel")
        # The connection file (it holds the kernel's HMAC key) lives beside the sockets, so that clearing a killed
        # report's kernel dir clears it too, instead of leaving /tmp/tmp*.json behind.
        self.connection_file = str(private / "connection.json")

    async def start_kernel(self, **kwargs: Any) -> None:  # type: ignore[override]  # the async manager's is async
        # The kernel's own log (e.g. "KeyboardInterrupt caught in kernel" when it is stopped) is not the report's
        # business: a failing cell is reported from the notebook's outputs, a dead kernel by papermill.
        kwargs.setdefault("stderr", subprocess.DEVNULL)
        await super().start_kernel(**kwargs)


KERNEL_DIR_PREFIX = "hologram-kernels-"


def _kernel_dir() -> Path:
    path = Path(tempfile.gettempdir()) / f"{KERNEL_DIR_PREFIX}{os.getpid()}"
    path.mkdir(exist_ok=True)
    return path


def clear_stale_kernel_dirs() -> None:
    """Remove the kernel dirs of reports whose process is gone (a SIGKILL skips run_all's own cleanup)."""
    for path in Path(tempfile.gettempdir()).glob(f"{KERNEL_DIR_PREFIX}*"):
        pid = path.name[len(KERNEL_DIR_PREFIX) :]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except PermissionError:  # alive, another user's
            continue


@dataclass(frozen=True)
class NotebookRun:
    name: str
    ok: bool
    html: Path
    seconds: float
    error: str | None = None


def page(title: str, body: str, banner: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<style>{PAGE_CSS}</style></head><body><header><a href="index.html">← Hologram report</a> · '
        f"{html.escape(title)}</header><main>{banner}{body}</main></body></html>\n"
    )


def _notebook_html(notebook: nbformat.NotebookNode) -> str:
    exporter = HTMLExporter(
        template_name="basic", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_notebook_node(notebook)
    return body


def _failure(error: BaseException) -> str:
    cell = getattr(error, "exec_count", None)
    ename, evalue = getattr(error, "ename", type(error).__name__), getattr(error, "evalue", str(error))
    where = f" in cell [{cell}]" if cell is not None else ""
    return f"{ename}{where}: {' '.join(str(evalue).split())}"


def run_notebook(
    name: str, parameters: dict[str, Any], root: Path, reports_dir: Path, kernel_name: str = kernel.KERNEL
) -> NotebookRun:
    """Execute notebooks/<name>.ipynb into reports/notebooks/ and render reports/<name>.html."""
    import papermill

    start = time.perf_counter()
    source = root / "notebooks" / f"{name}.ipynb"
    final = Reports(reports_dir).notebooks / f"{name}.ipynb"
    final.parent.mkdir(parents=True, exist_ok=True)
    temporary = final.with_name(f".{name}.{os.getpid()}.running.ipynb")
    target = Reports(reports_dir).page(name)
    title = name.replace("_", " ").capitalize()
    error = None
    try:
        papermill.execute_notebook(
            str(source),
            str(temporary),
            parameters=parameters,
            kernel_name=kernel_name,
            cwd=str(root),
            progress_bar=False,
            kernel_manager_class=IpcKernelManager,
        )
        os.replace(temporary, final)
        executed = nbformat.read(final, as_version=4)
        banner = ""
    except Exception as exc:
        error = _failure(exc)
        banner = f'<div class="banner fail">This notebook failed: {outside.html(error)}</div>'
        executed = nbformat.read(temporary, as_version=4) if temporary.exists() else None
        if temporary.exists():
            os.replace(temporary, final.with_name(f"{name}.failed.ipynb"))
    body = _notebook_html(executed) if executed is not None else ""
    atomic.write_text(target, page(title, body, banner))
    return NotebookRun(name, error is None, target, time.perf_counter() - start, error)


def paths_for(reports_dir: Path) -> dict[str, dict[str, Any]]:
    """Each notebook's file parameters pointed at one reports directory, as absolute paths: a notebook resolves a
    relative path from the project root (for triage in JupyterLab), which is not where `hologram report` was asked to
    write when it runs from another folder."""
    reports = Reports(reports_dir.resolve())
    perf, verdict = str(reports.perf.root), str(reports.verdict)
    return {
        "perf_analysis": {
            "perf_dir": perf,
            "out_json": str(reports.analysis("perf_analysis")),
            "verdict_json": verdict,
        },
        "baseline_drift": {
            "perf_dir": perf,
            "out_json": str(reports.analysis("baseline_drift")),
            "verdict_json": verdict,
        },
        "e2e_probe": {
            "events": str(reports.events),
            "out_json": str(reports.analysis("e2e_probe")),
            "verdict_json": verdict,
        },
    }


def run_all(
    root: Path,
    reports_dir: Path,
    parameters: dict[str, dict[str, Any]] | None = None,
    on_done: Callable[[NotebookRun], None] | None = None,
) -> list[NotebookRun]:
    """Check every notebook's parameters first (a bad one fails before any work), then run all in parallel;
    `on_done` hears of each as it finishes (the report's progress lines), the list keeps the notebooks' order."""
    # Absolute before the threads start: papermill changes the process's working directory to the checkout (`cwd`)
    # while a notebook runs, so a relative path resolved in another thread would land in the checkout.
    reports_dir = reports_dir.resolve()
    given = paths_for(reports_dir)
    for name, values in (parameters or {}).items():
        given.setdefault(name, {}).update(values)
    checked = {name: notebook_params.check(name, given.get(name, {})) for name in notebook_params.NOTEBOOKS}
    clear_stale_kernel_dirs()
    kernel_name = kernel.ensure_kernel()
    started_in = os.getcwd()
    try:
        with ThreadPoolExecutor(max_workers=len(checked)) as pool:
            futures = [
                pool.submit(run_notebook, name, values, root, reports_dir, kernel_name)
                for name, values in checked.items()
            ]
            for future in as_completed(futures):
                if on_done is not None:
                    on_done(future.result())
            return [future.result() for future in futures]
    finally:
        # Each papermill run changes into the checkout and back to where *it* found the process: two of them
        # overlapping can leave the process in the checkout, where the caller's relative paths would then land.
        os.chdir(started_in)
        shutil.rmtree(_kernel_dir(), ignore_errors=True)
