"""The test lanes, a pytest plugin (tests/conftest.py loads it): `make check` runs the tests that start no dev stack,
no notebook, no browser and no process of the product, and are not slow; `make test` runs them all.

A test is in a lane by its marker (`stack`, `notebook`, `browser`, `process`; declared in pyproject.toml). What can
be seen before running is marked here at collection: a test that uses the `stack` fixture is `stack`; one whose code
(or its fixtures', or the tests' helpers they call) uses tests/chromium.py is `browser`; tests/marketplace_process.py
or `devstack.up` `stack`; `run_command` (so `hologram(…)`), `sys.executable` or multiprocessing `process`. What
cannot be seen — a `hologram report` run executes notebooks, a product function spawns a measuring worker — is
marked by hand, and
the guard holds the fast lane to it: a test with none of the lanes' markers that starts a lane's process during its
setup, call or teardown (tests/lane_guard/sitecustomize.py sees the starts in every Python process of the session)
errors, naming what it started and the marker it needs. So a new test cannot slip into the fast lane: under
`make test` (CI) as under `make check` it fails until it is marked.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import CodeType, FunctionType, ModuleType

import pytest

from tests.helpers import LANE_GUARD_PATH
from tests.lane_guard import sitecustomize as guard

LANES = ("stack", "notebook", "browser", "process")  # what `make check` leaves out, with `slow`
FIXTURE_LANES = {"stack": "stack"}  # a test using this fixture (directly or through another) is in that lane
# What a test's code (or its fixtures', or the tests' helpers they call) refers to → its lane.
REFERENCE_LANES = {
    "tests.chromium": "browser",
    "tests.marketplace_process": "stack",
    "hologram_lib.devstack.stack.up": "stack",
    "tests.helpers.run_command": "process",  # and so hologram(), perf_collect(), verdict() …
    "sys.executable": "process",  # a Python process of its own
    "multiprocessing": "process",
}
GUARD_DIR = Path(guard.__file__).parent

_LOG = pytest.StashKey[Path]()
_OFFSET = pytest.StashKey[int]()


def pytest_configure(config: pytest.Config) -> None:
    descriptor, name = tempfile.mkstemp(prefix="hologram-lane-starts-", suffix=".log")
    os.close(descriptor)
    config.stash[_LOG] = Path(name)
    # Every Python process a test starts loads the guard's sitecustomize and reports to the same log.
    os.environ[guard.LANE_LOG] = name
    os.environ[LANE_GUARD_PATH] = str(GUARD_DIR)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, (str(GUARD_DIR), os.environ.get("PYTHONPATH"))))
    guard.install(name)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _LOG in config.stash:
        config.stash[_LOG].unlink(missing_ok=True)


# --- markers seen before running ------------------------------------------------------------------------------------


def _names_in(code: CodeType) -> Iterator[str]:
    yield from code.co_names
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            yield from _names_in(constant)


def references(functions: list[Callable[..., object]]) -> set[str]:
    """What these functions refer to, by qualified name ("tests.helpers.run_command", "sys.executable", and each
    value's module), following the functions of the tests' own modules they call."""
    found: set[str] = set()
    seen: set[int] = set()
    todo = [f for f in functions if isinstance(f, FunctionType)]
    while todo:
        function = todo.pop()
        names = set(_names_in(function.__code__))
        for name in names:
            value = function.__globals__.get(name)
            if isinstance(value, ModuleType):  # every function's own attributes of it: `sys.executable` in this one
                found.add(value.__name__)
                found.update(f"{value.__name__}.{attribute}" for attribute in names)
                continue
            if value is None or id(value) in seen:
                continue
            seen.add(id(value))
            module = getattr(value, "__module__", None)
            if isinstance(module, str):
                found |= {module, f"{module}.{getattr(value, '__qualname__', name)}"}
                if module.startswith("tests.") and isinstance(value, FunctionType):
                    todo.append(value)
    return found


def lanes_seen(item: pytest.Item) -> set[str]:
    """The lanes a test's fixtures and what its code refers to put it in."""
    fixtures = set(getattr(item, "fixturenames", ()))
    lanes = {lane for name, lane in FIXTURE_LANES.items() if name in fixtures}
    info = getattr(item, "_fixtureinfo", None)
    functions = [getattr(item, "function", None)]
    if info is not None:
        functions += [definitions[-1].func for definitions in info.name2fixturedefs.values() if definitions]
    used = references([f for f in functions if callable(f)])
    return lanes | {lane for name, lane in REFERENCE_LANES.items() if name in used}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for lane in sorted(lanes_seen(item)):
            item.add_marker(lane)


# --- the guard: what a test of the fast lane started --------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    log = item.config.stash[_LOG]
    item.stash[_OFFSET] = log.stat().st_size if log.exists() else 0  # before any fixture starts anything


def in_fast_lane(item: pytest.Item) -> bool:
    return not any(item.get_closest_marker(name) for name in (*LANES, "slow"))


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """After the test's fixtures are torn down: a test of the fast lane must have started none of the lanes'
    processes since its setup."""
    if _OFFSET not in item.stash or not in_fast_lane(item):
        return  # out of `make check` already: a notebook test that also runs the CLI slips nowhere
    with item.config.stash[_LOG].open("rb") as log:
        log.seek(item.stash[_OFFSET])
        lines = log.read().decode(errors="replace").splitlines()
    stray = sorted({(lane, what) for lane, _, what in (line.partition("\t") for line in lines) if what})
    if stray:
        lanes = sorted({lane for lane, _ in stray})
        started = "; ".join(f"{what} ({lane})" for lane, what in stray)
        pytest.fail(
            f"{item.nodeid} started {started} but is not marked {', '.join(lanes)}: add "
            + " and ".join(f"@pytest.mark.{lane}" for lane in lanes)
            + " (or `pytestmark` for the module), so that `make check` leaves it out",
            pytrace=False,
        )
