"""The test suite's own layout: shared helpers in tests/helpers.py, fixtures and hooks in conftest.py, no test module
importing another; and the lanes — `make check` leaves out every test that starts a stack, a notebook or a browser,
and a test that starts one without its marker fails (tests/lanes.py)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from hologram_lib.devstack.kubo import Kubo
from hologram_lib.devstack.kubo_node import daemon_argv
from tests import lanes
from tests.helpers import ROOT
from tests.lane_guard.sitecustomize import LANE_LOG, lane_of

TESTS = ROOT / "tests"


# --- imports --------------------------------------------------------------------------------------------------------


def forbidden_imports(source: str) -> list[str]:
    """The imports of a test-suite file that reach into a test module or into conftest (fixtures come by argument)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            parts = name.split(".")
            inside = parts[0] in {"tests", ""}  # the tests package, or relative to it
            if inside and any(part.startswith("test_") or part == "conftest" for part in parts[1:]):
                found.append(f"line {node.lineno}: {name}")
                break
    return found


def test_the_import_rule_catches_every_spelling() -> None:
    caught = """
from tests.test_runs import codec_repo
import tests.test_history
from tests import test_verdict
from .test_counted import EDITS
from tests.conftest import hologram
from tests.conftest import ROOT
"""
    assert len(forbidden_imports(caught)) == 6
    allowed = "from tests.helpers import hologram\nfrom tests.chromium import launched\nimport test_runner_lib\n"
    assert forbidden_imports(allowed) == []


def test_no_file_of_the_suite_imports_a_test_module_or_conftest() -> None:
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in sorted(TESTS.rglob("*.py"))
        if (found := forbidden_imports(path.read_text()))
    }
    assert offenders == {}, "import shared helpers from tests/helpers.py, fixtures by naming them as arguments"


def test_conftest_holds_only_fixtures_and_hooks() -> None:
    """A plain helper in conftest would invite `from tests.conftest import …` again: it belongs in helpers.py."""
    tree = ast.parse((TESTS / "conftest.py").read_text())
    helpers = [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and not node.name.startswith(("_", "pytest_"))
        and not any("fixture" in ast.unparse(decorator) for decorator in node.decorator_list)
    ]
    assert helpers == []


# --- the lanes: what `make check` leaves out ------------------------------------------------------------------------


def test_make_check_leaves_out_the_lanes_and_slow_and_make_test_nothing() -> None:
    makefile = (ROOT / "Makefile").read_text()
    fast_lane = re.search(r"^FAST_LANE := (.+)$", makefile, re.MULTILINE)
    assert fast_lane is not None
    assert fast_lane.group(1) == " and ".join(f"not {lane}" for lane in (*lanes.LANES, "slow"))
    check = makefile.split("\ncheck:", 1)[1].split("\n\n", 1)[0]
    assert '-m "$(FAST_LANE)"' in check and "ruff format --check" in check and "$(BIN)/mypy" in check
    test = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert '-m "' not in test and " -k " not in test and "--deselect" not in test  # CI's whole suite
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["markers"]
    assert {line.split(":", 1)[0] for line in declared} >= {*lanes.LANES, "slow"}


def test_the_processes_of_each_lane_are_told_apart_from_the_rest() -> None:
    kubo = daemon_argv(Kubo(Path("/opt/kubo/my-ipfs-build"), "0.32.1", "env"), Path("/tmp/state/ipfs"))
    assert lane_of(kubo) == "stack"
    assert lane_of([sys.executable, "-m", "hologram_lib.devstack.server", "--db", "m.sqlite"]) == "stack"
    assert lane_of([sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "k.json"]) == "notebook"
    assert lane_of(["make", "-s", "lab", "LAB_FLAGS=--no-browser"]) == "notebook"
    assert lane_of(["/venv/bin/jupyter-lab", "--no-browser"]) == "notebook"
    assert lane_of(["/usr/bin/node", "/venv/playwright/driver/package/cli.js", "run-driver"]) == "browser"
    assert lane_of(["/usr/bin/chromium", "--headless"]) == "browser"
    assert lane_of([sys.executable, "-m", "hologram_lib.cli", "verdict"]) == "process"
    assert lane_of([sys.executable, "-m", "hologram_lib.perf.worker", "core"]) == "process"
    assert lane_of(["bash", "/repo/scripts/ci_ab.sh", "main"]) == "process"
    for other in (
        ["/venv/bin/papermill", "--help-notebook", "notebooks/perf_analysis.ipynb"],
        ["git", "-C", "/repo", "worktree", "list"],
        ["ipfs", "version"],
        [],
    ):
        assert lane_of(other) is None, other


PROBE = """
import subprocess
import sys

import pytest

from tests.chromium import launched

# Two processes down, as `hologram stack up` starts the marketplace: the guard must see through the child. Named
# PYTHON, not sys.executable, so that collection cannot see it (what the guard is for).
PYTHON = sys.executable
CHILD = "import subprocess, sys; subprocess.run([sys.executable, '-m', 'hologram_lib.devstack.server', '--help'])"


@pytest.fixture
def stack():
    return None  # named like the real one: the name alone puts a test in the stack lane


def test_unmarked_start():
    subprocess.run([PYTHON, "-c", CHILD], check=True, capture_output=True)


@pytest.mark.stack
def test_marked_start():
    subprocess.run([PYTHON, "-c", CHILD], check=True, capture_output=True)


def test_uses_the_stack_fixture(stack):
    assert stack is None


def test_uses_the_browser_helper():
    assert callable(launched)


def test_starts_nothing_of_a_lane():
    subprocess.run(["true"], check=True)
"""


def probe_session(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A pytest session of this project's conftest and pyproject over PROBE, guarding a scratch checkout."""
    (tmp_path / "test_probe.py").write_text(PROBE)
    env = {key: value for key, value in os.environ.items() if key != LANE_LOG}  # the probe reports to its own log
    env |= {"HOLOGRAM_TEST_CHECKOUT": str(tmp_path), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-c",
         str(ROOT / "pyproject.toml"), str(tmp_path / "test_probe.py"), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_a_test_that_starts_a_stack_unmarked_fails_naming_the_marker_it_needs(tmp_path: Path) -> None:
    done = probe_session(tmp_path, "-q")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "5 passed, 1 error" in done.stdout, done.stdout
    assert "ERROR at teardown of test_unmarked_start" in done.stdout
    message = "started python -m hologram_lib.devstack.server --help (stack) but is not marked stack"
    assert f"::test_unmarked_start {message}: add @pytest.mark.stack" in done.stdout


def test_the_fast_lane_selection_leaves_out_what_fixtures_and_helpers_mark(tmp_path: Path) -> None:
    fast_lane = " and ".join(f"not {lane}" for lane in (*lanes.LANES, "slow"))
    done = probe_session(tmp_path, "--collect-only", "-q", "-m", fast_lane)
    assert done.returncode == 0, done.stdout + done.stderr
    selected = sorted(re.findall(r"::(test_\w+)", done.stdout))
    assert selected == ["test_starts_nothing_of_a_lane", "test_unmarked_start"], done.stdout


def _uses_sys_for_its_path() -> str:
    return sys.path[0]


def _starts_python() -> str:
    return sys.executable


def test_a_modules_attribute_is_seen_in_every_function_whatever_the_order() -> None:
    """`sys.executable` puts a test in the process lane even when another function of the same walk used `sys` for
    something else first (the walk's order follows a set's, which changes from one session to the next)."""
    for order in ([_uses_sys_for_its_path, _starts_python], [_starts_python, _uses_sys_for_its_path]):
        assert "sys.executable" in lanes.references(list(order))
