"""verdict.json has one reader with one leniency (verdict_file.read_verdict): an object whose `passed` is a boolean
is a verdict; anything else is no verdict — for the notebooks' banner, the history import and the re-judging alike."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from hologram_lib.report.pages import verdict_markdown
from hologram_lib.verdict import KIND
from hologram_lib.verdict import read_verdict as read_recorded
from hologram_lib.verdict_file import read_verdict
from tests.helpers import hologram, lognormal_runs

NOT_A_VERDICT = {
    "empty": b"",
    "not json": b"{passed: true}",
    "not utf-8": b'{"passed": true, "reasons": ["\xff"]}',
    "nested too deep": b"[" * 100_000,
    "a list": b"[true]",
    "no passed": b'{"reasons": []}',
    "passed a string": b'{"passed": "yes"}',
    "passed a number": b'{"passed": 1}',
    "passed null": b'{"passed": null}',
}


@pytest.mark.parametrize("content", NOT_A_VERDICT.values(), ids=NOT_A_VERDICT.keys())
def test_anything_but_an_object_with_a_boolean_passed_is_no_verdict(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "verdict.json"
    path.write_bytes(content)
    assert read_verdict(path) is None
    assert verdict_markdown(path).startswith("**No verdict at ")


def test_no_file_and_a_folder_are_no_verdict(tmp_path: Path) -> None:
    assert read_verdict(tmp_path / "absent.json") is None
    assert read_verdict(tmp_path) is None


def test_a_verdict_of_any_version_is_read_and_only_this_version_is_rejudged_from(tmp_path: Path) -> None:
    """An older artifact's verdict.json still says passed (history import, banner); its recorded inputs are not
    trusted to re-judge the report (verdict.read_verdict requires this version's kind)."""
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps({"passed": False, "reasons": ["core.verify_ms fail"]}))
    new.write_text(json.dumps({"kind": KIND, "passed": True, "reasons": 3}))
    assert read_verdict(old) == {"passed": False, "reasons": ["core.verify_ms fail"]}
    assert read_recorded(old) is None and read_recorded(new) is not None
    banner = verdict_markdown(old)
    assert banner.startswith("**Verdict of this report: FAIL**") and "\n- core.verify_ms fail\n" in banner
    assert verdict_markdown(new).startswith("**Verdict of this report: PASS**")  # reasons not a list: none shown


@pytest.mark.parametrize(("content", "green"), [(b'{"passed": true}', True), (b"[" * 100_000, None)])
def test_history_import_takes_green_from_the_one_reader(
    tmp_path: Path, make_perf_dir: Callable[..., Path], content: bytes, green: bool | None
) -> None:
    """A verdict.json nested 100,000 deep crashed `history import` (its own reader did not catch RecursionError)."""
    perf = make_perf_dir({"core.verify_ms": lognormal_runs(1.0, 0.1, 3, 40, 1)}, name="artifact/perf")
    (perf.parent / "verdict.json").write_bytes(content)
    store = tmp_path / "h.duckdb"
    done = hologram("history", "import", str(perf.parent), "--store", str(store), "--branch", "main")
    assert done.returncode == 0 and "imported 1 run(s)" in done.stdout, done.stderr
    with duckdb.connect(str(store), read_only=True) as db:
        assert db.execute("SELECT green FROM runs").fetchall() == [(green,)]
