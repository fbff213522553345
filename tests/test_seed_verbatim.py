"""The seed's commands, copied from the user's document and run verbatim in bash, against a running embedded stack.

`tests/data/seed_runbook.md` is the user's document as they gave it; the shell blocks are taken from it, not retyped
here, so a command that stops working fails this module. The commands run in a scratch copy of the project (its
`reports/` stays the user's) with the stack started in that copy's `.stack/`, as `make stack` does in a checkout,
and with none of the product's variables set beyond what the seed's own lines export.

The one liberty: the seed's ports. When 5001 / 4000 are taken (another stack of this test run holds them), the export
lines get the ports the stack took; the host names stay the seed's (`localhost` for the marketplace).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from hologram_lib import config, credentials
from hologram_lib.devstack import stack as devstack
from tests.helpers import ROOT, UPSTREAM_LIKE, VERDICT_ENV

SEED = ROOT / "tests" / "data" / "seed_runbook.md"
VENV_BIN = str(Path(sys.executable).parent)
# `make test` points the seed's suites at reports/test-run/; the seed's user has no such variables.
MAKE_TEST_ONLY = ("HOLOGRAM_PERF_DIR", "HOLOGRAM_EVENTS")
# The seed's commands start the stack and run the CLI, the scripts and the seed's own pytest in bash.
pytestmark = [pytest.mark.stack, pytest.mark.process]


def shell_blocks(text: str) -> dict[str, str]:
    """The document's ```bash blocks, keyed by the heading above each."""
    blocks: dict[str, str] = {}
    heading = ""
    for match in re.finditer(r"^(#+ [^\n]*)$|^[ \t]*```bash\n(.*?)^[ \t]*```", text, re.M | re.S):
        if match.group(1):
            heading = match.group(1).lstrip("# ").strip()
        else:
            blocks[heading] = textwrap.dedent(match.group(2))
    return blocks


BLOCKS = shell_blocks(SEED.read_text())


def test_the_seed_document_has_the_blocks_this_module_runs() -> None:
    assert set(BLOCKS) >= {
        "Basic Health Check",
        "Perf Gate Failed",
        "Environment Variables",
        "Check Data Exists",
        "Test Individual Components",
        "Force Budget Violation for Testing",
        "E2E Quick Summary",
    }


def lines_of(block: str) -> list[str]:
    """A block's commands (comments and blank lines dropped), each as written; indented ones included."""
    return [line.strip() for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]


def bash(script: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run shell lines as a user types them: bash, stop at the first failure, `python` = the project venv's."""
    env = {k: v for k, v in os.environ.items() if k not in VERDICT_ENV and k not in MAKE_TEST_ONLY}
    env["PATH"] = VENV_BIN + os.pathsep + env.get("PATH", "")
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@dataclass(frozen=True)
class Project:
    root: Path
    info: devstack.StackInfo

    def bash(self, script: str) -> subprocess.CompletedProcess:
        return bash(script, self.root)

    def with_stack_ports(self, block: str) -> str:
        """The block with the seed's ports replaced by the stack's where the stack could not have the seed's."""
        ipfs_port, graphql_port = urlsplit(self.info.ipfs_api).port, urlsplit(self.info.graphql_url).port
        block = block.replace("http://127.0.0.1:5001", f"http://127.0.0.1:{ipfs_port}")
        return block.replace("http://localhost:4000/graphql", f"http://localhost:{graphql_port}/graphql")


def scratch_copy(target: Path) -> Path:
    """The files the seed's commands use (tests, scripts, notebooks, the pytest configuration); `hologram_lib` is the
    installed one."""
    for name in ("tests", "scripts", "notebooks"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    shutil.copy2(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    root = scratch_copy(tmp_path_factory.mktemp("seed-project"))
    state_dir = root / devstack.DEFAULT_STATE_DIR
    info = devstack.up(state_dir, reports_dir=None)
    try:
        yield Project(root, info)
    finally:
        devstack.down(state_dir)


@pytest.fixture(scope="module")
def smoke_test(project: Project) -> subprocess.CompletedProcess:
    """The Quick Smoke Test: two exports, the phase 6 + 8 tests, the report, the budget gate."""
    return project.bash(project.with_stack_ports(BLOCKS["Basic Health Check"]))


def test_quick_smoke_test_passes_with_only_the_seeds_exports(smoke_test: subprocess.CompletedProcess) -> None:
    assert smoke_test.returncode == 0, smoke_test.stdout[-3000:] + smoke_test.stderr[-3000:]
    assert "verdict: PASS" in smoke_test.stdout and "perf gate: PASS" in smoke_test.stdout
    assert "failed" not in smoke_test.stdout, smoke_test.stdout  # every notebook ran


def test_smoke_test_events_satisfy_the_verification_checklist(
    project: Project, smoke_test: subprocess.CompletedProcess
) -> None:
    assert smoke_test.returncode == 0
    events = [json.loads(line) for line in (project.root / "reports/e2e/events.jsonl").read_text().splitlines()]
    latest = [e for e in events if e["run_id"] == events[-1]["run_id"]]
    ok = {e["event"]: e for e in latest if e["status"] == "ok"}
    assert ok["ipfs_publish"]["cid"]
    assert ok["marketplace_publish"]["cid"] == ok["ipfs_publish"]["cid"]
    assert ok["resolve"]["encoding"]
    assert ok["search"]["hit"] is True
    index = (project.root / "reports/index.html").read_text()
    assert "graphql.resolve_ms" in index and "ipfs_publish" in index


def test_smoke_test_never_writes_the_token(project: Project, smoke_test: subprocess.CompletedProcess) -> None:
    token = devstack.read_token(project.info.state_dir)
    written = [p for p in (project.root / "reports").rglob("*") if p.is_file()]
    assert written
    leaks = [str(p) for p in written if token.encode() in p.read_bytes()]
    assert not leaks and token not in smoke_test.stdout + smoke_test.stderr


def test_red_build_runbook_reproduces_locally(project: Project, smoke_test: subprocess.CompletedProcess) -> None:
    done = project.bash(BLOCKS["Perf Gate Failed"])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "perf gate: PASS" in done.stdout and " passed" in done.stdout


def test_the_seeds_environment_values_are_accepted(project: Project, smoke_test: subprocess.CompletedProcess) -> None:
    """The seed's variable block (budgets 10 / 100 / 100 ms, threshold 10 %) exported, then its gate command."""
    block = project.with_stack_ports(BLOCKS["Environment Variables"])
    done = project.bash(f"set -a\n{block}\nset +a\npython scripts/check_perf_budget.py")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "budget 10 ms (SLO_VERIFY_P95_MS)" in done.stdout


@pytest.mark.parametrize("block", ["Check Data Exists", "E2E Quick Summary"])
def test_debug_commands_succeed_after_the_smoke_test(
    project: Project, smoke_test: subprocess.CompletedProcess, block: str
) -> None:
    for line in lines_of(BLOCKS[block]):
        done = project.bash(line)
        assert done.returncode == 0, f"{line}: {done.stdout[-2000:]}{done.stderr[-2000:]}"


def test_individual_components(project: Project, smoke_test: subprocess.CompletedProcess) -> None:
    """The budget gate passes on this run's data; with no baseline yet (none promoted or downloaded), the drift check
    stops with exit 2 naming the file, as the seed's "No baseline found" row describes; the job summary is Markdown
    with the verdict and the p95 table."""
    budget, compare, summary = lines_of(BLOCKS["Test Individual Components"])
    assert project.bash(budget).returncode == 0
    done = project.bash(compare)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [
        "hologram: error: reports/perf/baseline.json: no baseline found: expected a baseline.json "
        "(run `hologram baseline promote` on main, or download it)"
    ]
    done = project.bash(summary)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS" in done.stdout and "| graphql.resolve_ms" in done.stdout.replace("`", "")


def test_cold_profile_then_cache_profiler(project: Project, smoke_test: subprocess.CompletedProcess) -> None:
    """The seed's "second Phase 6 job section flagged COLD=1; cache_profiler.py will show ratios in
    reports/perf/cache_profiles.json" — the two commands that sentence names."""
    done = project.bash("COLD=1 python -m pytest -m phase6_perf -q\npython scripts/cache_profiler.py")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    profiles = json.loads((project.root / "reports/perf/cache_profiles.json").read_text())
    assert "core.verify_ms" in json.dumps(profiles)
    assert re.search(r"core\.verify_ms.*\d+(\.\d+)?×", done.stdout), done.stdout


def test_forced_budget_violation_fails_on_upstream_like_data(tmp_path: Path, make_perf_dir) -> None:
    """The seed's forced violation, on data with the upstream's figures (verify ≈ 7 ms): the gate fails. This
    codec's verify is ≈ 0.03 ms, so on this project's own data a 1 ms budget is honestly met (see the README)."""
    make_perf_dir(UPSTREAM_LIKE, name="reports/perf")
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    (line,) = lines_of(BLOCKS["Force Budget Violation for Testing"])
    done = bash(line, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"FAIL +core.verify_ms: .* > budget 1 ms \(SLO_VERIFY_P95_MS\)", done.stdout), done.stdout


# --- the embedded stack's token: for that stack's own URL only, when GRAPHQL_TOKEN is unset -----------------------


def probe_env(project: Project, graphql_url: str, **extra: str) -> config.ProbeSettings:
    return credentials.probe_settings(environ={"IPFS_API": project.info.ipfs_api, "GRAPHQL_URL": graphql_url, **extra})


@pytest.mark.parametrize("spell", [lambda u: u.replace("127.0.0.1", "localhost"), lambda u: u + "/"])
def test_stack_token_used_for_the_stacks_own_url(project: Project, monkeypatch: pytest.MonkeyPatch, spell) -> None:
    monkeypatch.chdir(project.root)
    settings = probe_env(project, spell(project.info.graphql_url))
    assert settings.graphql_token == devstack.read_token(project.info.state_dir)
    assert settings.token_file == Path(project.info.state_dir).resolve() / "token"
    assert (
        credentials.perf_knobs(environ={"GRAPHQL_URL": spell(project.info.graphql_url)}).token_file
        == settings.token_file
    )


def test_explicit_token_wins(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project.root)
    settings = probe_env(project, project.info.graphql_url, GRAPHQL_TOKEN="Bearer mine")
    assert (settings.graphql_token, settings.token_file) == ("Bearer mine", None)


def test_no_token_for_any_other_url(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project.root)
    port = urlsplit(project.info.graphql_url).port
    for url in (
        f"http://127.0.0.1:{port + 1}/graphql",
        f"http://localhost:{port}/other",
        f"https://localhost:{port}/graphql",
        f"http://example.org:{port}/graphql",
        "http://localhost:99999999/graphql",
    ):
        assert probe_env(project, url).graphql_token is None, url


def test_no_token_from_a_stack_of_another_directory(project: Project, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert probe_env(project, project.info.graphql_url).graphql_token is None


def test_no_token_when_the_recorded_marketplace_is_not_that_stacks_process(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stack.json left behind whose port another program now serves: that program must never get the token."""
    stale = tmp_path / devstack.DEFAULT_STATE_DIR
    stale.mkdir()
    recorded = json.loads((Path(project.info.state_dir) / "stack.json").read_text())
    (stale / "stack.json").write_text(json.dumps({**recorded, "state_dir": str(stale)}))
    (stale / "token").write_text("stale-token")
    monkeypatch.chdir(tmp_path)
    assert probe_env(project, project.info.graphql_url).graphql_token is None


def test_probe_says_where_the_token_came_from_in_one_line(project: Project) -> None:
    url = project.info.graphql_url.replace("127.0.0.1", "localhost")
    events = project.root / "probe-events.jsonl"
    done = bash(
        f"IPFS_API={project.info.ipfs_api} GRAPHQL_URL={url} hologram e2e probe --events {events}", project.root
    )
    assert done.returncode == 0, done.stdout + done.stderr
    token_file = Path(project.info.state_dir).resolve() / "token"
    notices = [line for line in done.stdout.splitlines() if "embedded stack's token" in line]
    assert notices == [f"using the embedded stack's token from {token_file} (GRAPHQL_TOKEN is unset)"]
    token = devstack.read_token(project.info.state_dir)
    assert token not in done.stdout + done.stderr and token not in events.read_text()
