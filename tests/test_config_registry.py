"""config is the one reader of the environment, and its registry is the one list of variables: the docs' table
(docs/environment.md) and the tests' isolation come from it."""

from __future__ import annotations

import re

import pytest

from hologram_lib import config
from tests.helpers import ROOT, VERDICT_ENV

PACKAGE = ROOT / "hologram_lib"
SOURCES = [p for p in PACKAGE.rglob("*.py") if "node_modules" not in p.parts]


def test_the_docs_table_lists_exactly_the_user_variables() -> None:
    page = (ROOT / "docs" / "environment.md").read_text()
    table = page.split("# Environment variables", 1)[1].split("\n\n", 2)[1]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", "\n".join(row.split("|")[1] for row in table.splitlines()[2:])))
    assert documented == set(config.USER_VARIABLES)


def test_no_other_module_reads_the_environment() -> None:
    readers = re.compile(r"environ\.get\(|environ\[|getenv\(")
    offenders = [str(p.relative_to(ROOT)) for p in SOURCES if p.name != "config.py" and readers.search(p.read_text())]
    assert offenders == []


def test_every_registered_variable_is_read_and_the_tests_clear_them_all() -> None:
    code = "\n".join(p.read_text() for p in SOURCES)
    unread = [name for name in config.VARIABLES if f'"{name}"' not in code]
    assert unread == []
    assert set(VERDICT_ENV) == config.VARIABLES


def test_reading_an_unregistered_variable_is_a_bug_not_a_silent_none() -> None:
    assert config.resolve_profile(environ={"HOLOGRAM_PROFILE": "pr"}) == "pr"  # registered: read
    with pytest.raises(AssertionError, match=r"HOLOGRAM_NOPE is read but not in config\.VARIABLES"):
        config._env({}).get("HOLOGRAM_NOPE")
