"""Triage in JupyterLab: `make lab` on a free port, a notebook run through a kernel session of its REST API with a
changed parameter, the result checked against `hologram verdict` on the same files.

The server is the real one `make lab` starts (root = the project, kernel `hologram` = this venv); the kernel runs
in notebooks/ as JupyterLab starts it, which is where relative paths used to go wrong.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
import requests
import websocket

from tests.helpers import ROOT, VERDICT_ENV
from tests.helpers import verdict as verdict_of

pytestmark = pytest.mark.notebook  # JupyterLab and its kernels

TOKEN = uuid.uuid4().hex


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Lab:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.headers = {"Authorization": f"token {TOKEN}"}

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.base + path, headers=self.headers, timeout=30, **kwargs)

    def post(self, path: str, document: dict[str, Any]) -> requests.Response:
        return requests.post(self.base + path, headers=self.headers, json=document, timeout=60)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """`make lab` on a free port with a token; stopped (its whole process group) at the end."""
    port, home = free_port(), tmp_path_factory.mktemp("jupyter")
    flags = f"--no-browser --port={port} --ServerApp.port_retries=0 --IdentityProvider.token={TOKEN}"
    env = {k: v for k, v in os.environ.items() if k not in VERDICT_ENV}
    env.update(JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTER_CONFIG_DIR=str(home / "config"))
    log = (home / "lab.log").open("w")
    server = subprocess.Popen(
        ["make", "-s", "lab", f"LAB_FLAGS={flags}"], cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
    )
    client = Lab(port)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (home / "lab.log").read_text()[-3000:]
            try:
                if client.get("/api/status").status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "JupyterLab did not answer in 120 s"
            time.sleep(0.5)
        yield client
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def test_lab_serves_the_project_root_with_the_project_kernel(lab: Lab) -> None:
    listing = lab.get("/api/contents/notebooks")
    assert listing.status_code == 200, "the server's root must be the project, not notebooks/"
    names = {item["name"] for item in listing.json()["content"]}
    assert {"perf_analysis.ipynb", "baseline_drift.ipynb", "e2e_probe.ipynb"} <= names
    landing = lab.get("/", allow_redirects=False)
    assert landing.headers["Location"].split("?")[0].endswith("/lab/tree/notebooks/perf_analysis.ipynb")
    spec = lab.get("/api/kernelspecs").json()["kernelspecs"]["hologram"]["spec"]
    assert Path(spec["argv"][0]) == Path(sys.executable)  # this venv: the project's packages


def execute(channel: websocket.WebSocket, code: str) -> list[dict[str, Any]]:
    """One execute_request over the kernel's websocket (Jupyter messaging protocol 5.3); its iopub outputs."""
    msg_id = uuid.uuid4().hex
    channel.send(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "username": "test",
                    "session": "test",
                    "msg_type": "execute_request",
                    "version": "5.3",
                    "date": "",
                },
                "parent_header": {},
                "metadata": {},
                "content": {
                    "code": code,
                    "silent": False,
                    "store_history": True,
                    "user_expressions": {},
                    "allow_stdin": False,
                    "stop_on_error": True,
                },
                "channel": "shell",
                "buffers": [],
            }
        )
    )
    outputs, reply, idle = [], None, False
    while reply is None or not idle:
        message = json.loads(channel.recv())
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = message["msg_type"]
        if kind == "execute_reply":
            reply = message["content"]
        elif kind == "status":
            idle = message["content"]["execution_state"] == "idle"
        elif kind in ("stream", "display_data", "execute_result", "error"):
            outputs.append(message)
    errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
    assert reply["status"] == "ok", errors or reply
    return outputs


def text_of(outputs: list[dict[str, Any]]) -> str:
    parts = []
    for message in outputs:
        content = message["content"]
        parts.append(content.get("text") or content.get("data", {}).get("text/markdown", ""))
    return "\n".join(parts)


@pytest.fixture
def data_under_root(report_dir: Path) -> Iterator[str]:
    """The fixture reports copied under the project root and named by a relative path, as a user types one."""
    relative = f"reports/test-run/lab-{os.getpid()}"
    shutil.rmtree(ROOT / relative, ignore_errors=True)
    shutil.copytree(report_dir, ROOT / relative)
    yield relative
    shutil.rmtree(ROOT / relative, ignore_errors=True)


def test_a_kernel_session_with_a_changed_parameter_agrees_with_hologram_verdict(lab: Lab, data_under_root: str) -> None:
    root = ROOT / data_under_root
    verdict = verdict_of(root, "--profile", "main", "--json", str(root / "verdict.json"))
    assert verdict.returncode == 1, verdict.stdout + verdict.stderr  # main allows no skipped graphql; drift fails
    cli = json.loads((root / "verdict.json").read_text())

    session = lab.post(
        "/api/sessions",
        {"path": "notebooks/perf_analysis.ipynb", "type": "notebook", "name": "", "kernel": {"name": "hologram"}},
    )
    assert session.status_code == 201, session.text
    kernel_id = session.json()["kernel"]["id"]
    channel = websocket.create_connection(
        f"{lab.base.replace('http', 'ws')}/api/kernels/{kernel_id}/channels?token={TOKEN}", timeout=120
    )
    try:
        assert text_of(execute(channel, "import os; print(os.getcwd())")).strip() == str(ROOT / "notebooks")
        notebook = nbformat.read(ROOT / "notebooks" / "perf_analysis.ipynb", as_version=4)
        changed = (  # what a user types in the parameters cell: relative paths and another profile
            f'perf_dir = "{data_under_root}/perf"\nprofile = "main"\n'
            f'out_json = "{data_under_root}/perf_analysis.json"\nverdict_json = "{data_under_root}/verdict.json"\n'
        )
        shown = []
        for cell in notebook.cells:
            if cell.cell_type == "code":
                shown.append(text_of(execute(channel, cell.source)))
                if "parameters" in cell.metadata.get("tags", []):
                    execute(channel, changed)
    finally:
        channel.close()
        requests.delete(f"{lab.base}/api/sessions/{session.json()['id']}", headers=lab.headers, timeout=30)

    assert not (ROOT / "notebooks" / "reports").exists(), "relative paths went to the kernel's cwd"
    gate = json.loads((root / "perf_analysis.json").read_text())
    assert gate["profile"] == "main" and gate["passed"] is False
    blocking = [f"{v['metric']} {v['status']}: {v['reason']}" for v in gate["verdicts"] if v["blocks"]]
    assert blocking and set(blocking) <= set(cli["reasons"]), (blocking, cli["reasons"])
    assert {v["status"] for v in gate["verdicts"]} != {"missing"}
    banner = "\n".join(shown)
    assert "Verdict of this report: FAIL" in banner and all(reason in banner for reason in blocking)
