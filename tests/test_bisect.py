"""`hologram bisect`: from a good and a bad commit to the first commit whose count moved, and the function.

The end-to-end test builds a scratch git repository of 20 commits here (a copy of this checkout's hologram_lib, then
19 commits touching a notes file, one of them adding ≈3 % of instructions to atlas.encode, another changing only a
comment in it) and bisects its last 16 commits as a user would, each command a new process. Counting one commit
costs 10–20 s here, so the counted tests share one repository and measure few commits; the bad-input tests measure
nothing (each is refused before the first worktree).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from hologram_lib.ci.summary import bisect_section
from hologram_lib.perf.bisect import Commit, Step, Verdict, midpoint, search, steps_needed
from tests.helpers import EDITS, ENCODE_RETURN, ROOT, hologram

COMMITS = 20
RANGE = 16  # the bisected range: HEAD~16..HEAD, 16 candidates → good + 4 halvings = 5 measured commits
COMMENT_AT = (
    12  # commit numbers (1 = the root); HEAD~16 is commit 4, so candidate i is commit 5 + i: the first midpoint
)
CULPRIT_AT = 14


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def _worktrees(repo: Path) -> list[str]:
    return [line for line in _git(repo, "worktree", "list", "--porcelain").splitlines() if line.startswith("worktree")]


@pytest.fixture(scope="module")
def history_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 commits: the package, then notes, a comment-only edit of encode and a +3 % edit of encode."""
    repo = tmp_path_factory.mktemp("bisect") / "repo"
    shutil.copytree(ROOT / "hologram_lib", repo / "hologram_lib", ignore=shutil.ignore_patterns("__pycache__"))
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "commit 1: the package")
    atlas, notes = repo / "hologram_lib" / "atlas.py", repo / "NOTES.txt"
    for number in range(2, COMMITS + 1):
        if number == COMMENT_AT:
            atlas.write_text(atlas.read_text().replace(ENCODE_RETURN, EDITS["comment"]))
            message = f"commit {number}: explain encode's last line (comment only)"
        elif number == CULPRIT_AT:
            atlas.write_text(atlas.read_text().replace(ENCODE_RETURN, EDITS["plus3"]))
            message = f"commit {number}: encode does a little more work"
        else:
            notes.write_text(notes.read_text() + f"note {number}\n" if notes.exists() else f"note {number}\n")
            message = f"commit {number}: notes"
        _git(repo, "add", "-A")
        _git(repo, "commit", "-qm", message)
    return repo


# --- the search alone (no measuring) -------------------------------------------------------------------------------


def _fake_history(count: int, first_bad: int | None, skipped: frozenset[int] = frozenset()) -> tuple[list[Step], str]:
    commits = [Commit(f"{i:040x}", f"c{i}") for i in range(count)]
    good = Commit("f" * 40, "good")
    measured: list[int] = []

    def judge(_good: Commit, commit: Commit, position: int) -> Step:
        measured.append(position)
        if position in skipped:
            return Step(commit, position, Verdict.SKIPPED, note="does not build")
        bad = first_bad is not None and position >= first_bad
        return Step(commit, position, Verdict.BAD if bad else Verdict.GOOD, {"m": 1.05 if bad else 1.0})

    outcome, steps = search(good, commits, judge, lambda _line: None)
    assert [s.position for s in steps] == measured
    answer = outcome.first_bad.commit.subject if outcome.first_bad else ",".join(c.subject for c in outcome.suspects)
    return steps, f"{outcome.status}:{answer}"


@pytest.mark.parametrize("count", [2, 5, 16, 19, 64])
def test_the_search_finds_every_first_bad_position_within_log2_steps(count: int) -> None:
    for first_bad in range(count):
        steps, answer = _fake_history(count, first_bad)
        assert answer == f"found:c{first_bad}"
        assert 1 + len(steps) <= steps_needed(count) + 1  # + 1: the bad end itself, measured only when it is the one
        if first_bad < count - 1:
            assert 1 + len(steps) <= steps_needed(count)


def test_the_search_says_no_change_when_bad_did_not_move() -> None:
    steps, answer = _fake_history(16, None)
    assert answer == "no-change:"
    assert steps[-1].position == 15  # the bad end was measured before saying so


def test_skipped_commits_are_stepped_around_and_never_guessed() -> None:
    _steps, answer = _fake_history(16, 9, frozenset({7}))
    assert answer == "found:c9"  # the skip lay elsewhere: still exact
    _steps, answer = _fake_history(16, 9, frozenset({8}))
    assert answer == "undecided:c8,c9"  # the skipped commit hides which one it is: both named, none picked


def test_the_first_midpoint_is_the_one_counted_beside_good() -> None:
    assert midpoint(-1, 15, list(range(15))) == 7 and midpoint(-1, 18, list(range(18))) == 8


# --- bad input: exit 2, one line, no worktree left -----------------------------------------------------------------


def test_bad_input_is_exit_2_in_one_line_without_a_worktree(history_repo: Path, tmp_path: Path) -> None:
    cases = {
        ("--good", "no-such-ref"): "--good 'no-such-ref': expected a commit",
        ("--good", "HEAD~3", "--bad", "nope"): "--bad 'nope'",
        ("--good", "HEAD", "--bad", "HEAD~3"): "is not an ancestor of --bad",
        ("--good", "HEAD~3", "--metric", "core.nothing_instructions"): "--metric core.nothing_instructions: expected",
        ("--good", "HEAD~19", "--time-limit", "30"): "19 commits need 6 measured commits",
        ("--bad", "HEAD"): "expected --good REF",
    }
    for args, expected in cases.items():
        done = hologram("bisect", *args, "--threshold-pct", "2", "--perf-dir", str(tmp_path), cwd=history_repo)
        assert done.returncode == 2, (args, done.stderr)
        assert expected in done.stderr and len(done.stderr.strip().splitlines()) == 1, (args, done.stderr)
        assert "Traceback" not in done.stderr
    (history_repo / "NOTES.txt").write_text("uncommitted\n")
    try:
        done = hologram("bisect", "--good", "HEAD~3", "--perf-dir", str(tmp_path), cwd=history_repo)
        assert done.returncode == 2 and "uncommitted changes" in done.stderr, done.stderr
    finally:
        _git(history_repo, "checkout", "--", "NOTES.txt")
    assert len(_worktrees(history_repo)) == 1 and not (tmp_path / "bisect.json").exists()


# --- the real thing: counts ----------------------------------------------------------------------------------------


def test_bisect_on_counts_names_the_commit_and_the_function_in_5_measured_commits(
    history_repo: Path, tmp_path: Path
) -> None:
    perf = tmp_path / "perf"
    done = hologram(
        "bisect", "--good", f"HEAD~{RANGE}", "--bad", "HEAD", "--measure", "instructions",
        "--metric", "core.encode_1MB_instructions", "--threshold-pct", "2", "--perf-dir", str(perf), cwd=history_repo,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    document = json.loads((perf / "bisect.json").read_text())
    culprit = _git(history_repo, "rev-parse", f"HEAD~{COMMITS - CULPRIT_AT}")
    answer = document["answer"]
    assert answer["status"] == "found" and answer["first_bad"]["commit"] == culprit
    assert answer["first_bad"]["subject"] == f"commit {CULPRIT_AT}: encode does a little more work"
    assert document["candidates"] == RANGE and document["measured_commits"] <= 5
    delta = answer["first_bad"]["delta_pct_vs_parent"]["core.encode_1MB_instructions"]
    assert 2.0 < delta < 5.0, delta  # the edit is the size the test says it is
    comment = _git(history_repo, "rev-parse", f"HEAD~{COMMITS - COMMENT_AT}")
    judged = {step["commit"]: step for step in document["steps"]}
    assert judged[comment]["verdict"] == "good"  # the comment-only commit was measured and did not move
    assert abs(judged[comment]["delta_pct"]["core.encode_1MB_instructions"]) < 0.5
    functions = answer["first_bad"]["functions"]["core.encode_1MB_instructions"]
    assert functions and sum(f["share_pct"] for f in functions) > 50  # the named functions carry the change
    assert f"first bad commit: {culprit[:12]} commit {CULPRIT_AT}" in done.stdout
    assert f"    {functions[0]['function']}: self" in done.stdout
    assert (perf / "profiles" / "bisect" / "first-bad.core.encode_1MB.callgrind.gz").is_file()
    summary = "\n".join(bisect_section(perf / "bisect.json"))  # what the job summary shows
    assert f"first bad commit: {culprit[:12]}" in summary and str(functions[0]["function"])[:20] in summary
    assert len(_worktrees(history_repo)) == 1  # every temporary worktree removed


def test_a_range_without_a_change_says_so(history_repo: Path, tmp_path: Path) -> None:
    """Two candidates (commits 19 and 20, notes only): good + the midpoint + the bad end = 3 counted commits."""
    perf = tmp_path / "perf"
    done = hologram(
        "bisect", "--good", "HEAD~2", "--measure", "instructions", "--metric", "core.encode_1MB_instructions",
        "--threshold-pct", "2", "--perf-dir", str(perf), cwd=history_repo,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout  # an answer: bisect.json's status says which
    assert "no change:" in done.stdout
    assert json.loads((perf / "bisect.json").read_text())["answer"]["status"] == "no-change"
    assert len(_worktrees(history_repo)) == 1


# --- from a change point in the history store ----------------------------------------------------------------------

RUN_COMMITS = (2, 4, 6, 8, 10, 12, 15, 16, 17, 18, 19, 20)  # main's CI runs; encode steps up from commit 15's run


def _store_with_a_change_point(repo: Path, store: Path) -> tuple[str, str]:
    """A history store of main's runs at RUN_COMMITS of the scratch repository, encode ×1.3 from commit 15 on."""
    from datetime import datetime, timedelta

    from hologram_lib.history.lanes import current_repository
    from hologram_lib.history.records import MetricRow, RunRecord
    from hologram_lib.history.store import add_runs
    from hologram_lib.machine import fingerprint as machine_fingerprint

    records = []
    machine, repository = machine_fingerprint(), current_repository(repo)  # the lane bisect reads: this one
    for i, number in enumerate(RUN_COMMITS):
        commit = _git(repo, "rev-parse", f"HEAD~{COMMITS - number}")
        level = (13.0 if number >= CULPRIT_AT else 10.0) * (1 + 0.004 * ((i * 7) % 3 - 1))
        rows = (MetricRow("core.encode_1MB_ms", 10, 2000, level, level * 1.1, None, None, level, level * 1.09, 0.05),)
        when = datetime(2026, 11, 1) + timedelta(hours=i)
        record = RunRecord(f"run-{i}", when, commit, "main", "main", "r", machine, True, "{}", "test", rows, repository)
        records.append(record)
    add_runs(store, records)
    return _git(repo, "rev-parse", "HEAD~8"), _git(repo, "rev-parse", "HEAD~5")  # the runs around the step


def test_change_point_bisects_the_newest_change_points_range_from_the_store(history_repo: Path, tmp_path: Path) -> None:
    store, perf = tmp_path / "history.duckdb", tmp_path / "perf"
    before, after = _store_with_a_change_point(history_repo, store)
    shown = hologram("history", "show", "--store", str(store), cwd=history_repo)
    assert shown.returncode == 0 and f"commits {before[:8]}..{after[:8]}" in shown.stdout, shown.stdout
    done = hologram(
        "bisect", "--change-point", "core.encode_1MB_ms", "--store", str(store), "--threshold-pct", "2",
        "--perf-dir", str(perf), cwd=history_repo,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    document = json.loads((perf / "bisect.json").read_text())
    assert document["good"]["commit"] == before and document["bad"]["commit"] == after
    assert document["metrics"] == ["core.encode_1MB_instructions"] and document["candidates"] == 3
    assert document["answer"]["first_bad"]["commit"] == _git(history_repo, "rev-parse", f"HEAD~{COMMITS - CULPRIT_AT}")
    assert document["answer"]["first_bad"]["functions"]["core.encode_1MB_instructions"]


def test_change_point_without_one_in_the_store_is_exit_2(history_repo: Path, tmp_path: Path) -> None:
    store = tmp_path / "history.duckdb"
    _store_with_a_change_point(history_repo, store)
    for metric, expected in (("core.verify_ms", "no runs of this metric"), ("core.encode_1MB_ms", "no --good")):
        args = ("--good", "HEAD~2") if expected == "no --good" else ()
        done = hologram("bisect", "--change-point", metric, *args, "--store", str(store), cwd=history_repo)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert expected in done.stderr, done.stderr
    done = hologram("bisect", "--change-point", "core.encode_1MB_ms", "--store", str(tmp_path / "none.duckdb"))
    assert done.returncode == 2 and "expected a history store" in done.stderr, done.stderr


def test_an_inconclusive_step_stops_the_search_without_a_guess() -> None:
    commits = [Commit(f"{i:040x}", f"c{i}") for i in range(8)]

    def judge(_good: Commit, commit: Commit, position: int) -> Step:
        verdict = Verdict.INCONCLUSIVE if position == 3 else Verdict.GOOD
        return Step(commit, position, verdict, note="still inconclusive after 20 paired runs per side")

    outcome, steps = search(Commit("f" * 40, "good"), commits, judge, lambda _line: None)
    assert outcome.status == "undecided" and outcome.first_bad is None and [s.position for s in steps] == [3]
    assert "not guessing" in outcome.message and "20 paired runs" in outcome.message


# --- a commit that does not build, the wall clock, SIGTERM ---------------------------------------------------------

SLOW = EDITS["plus10"].replace("    return", "    import time\n    time.sleep(0.03)\n    return")


@pytest.fixture(scope="module")
def broken_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package, then: notes, notes, a commit whose atlas.py does not import, its fix, a slow encode (+10 %
    instructions and a 30 ms sleep: the wall clock sees it too), notes."""
    repo = tmp_path_factory.mktemp("bisect-broken") / "repo"
    shutil.copytree(ROOT / "hologram_lib", repo / "hologram_lib", ignore=shutil.ignore_patterns("__pycache__"))
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "the package")
    atlas, notes = repo / "hologram_lib" / "atlas.py", repo / "NOTES.txt"
    original = atlas.read_text()
    for name in ("notes", "notes", "broken", "fix", "slow", "notes"):
        if name == "broken":
            atlas.write_text(original + "\ndef broken(:\n")
        elif name == "fix":
            atlas.write_text(original)
        elif name == "slow":
            atlas.write_text(original.replace(ENCODE_RETURN, SLOW))
        else:
            notes.write_text((notes.read_text() if notes.exists() else "") + "note\n")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-qm", name)
    return repo


def test_a_commit_that_does_not_build_is_skipped_and_said(broken_repo: Path, tmp_path: Path) -> None:
    done = hologram(
        "bisect", "--good", "HEAD~6", "--metric", "core.encode_1MB_instructions", "--threshold-pct", "2",
        "--perf-dir", str(tmp_path), cwd=broken_repo,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    document = json.loads((tmp_path / "bisect.json").read_text())
    broken = _git(broken_repo, "rev-parse", "HEAD~3")
    assert [s["commit"] for s in document["skipped"]] == [broken]  # the first midpoint: measured, then stepped around
    assert "importing it raised SyntaxError" in document["skipped"][0]["note"]
    assert f"{broken[:12]} broken: skipped" in done.stderr
    assert document["answer"]["first_bad"]["subject"] == "slow"
    assert 8.0 < document["answer"]["first_bad"]["delta_pct_vs_parent"]["core.encode_1MB_instructions"] < 14.0


def test_bisect_on_the_wall_clock_uses_paired_runs_against_good(broken_repo: Path, tmp_path: Path) -> None:
    done = hologram(
        "bisect", "--good", "HEAD~2", "--measure", "time", "--metric", "core.encode_1MB_ms", "--runs", "3",
        "--max-runs", "6", "--samples", "10", "--perf-dir", str(tmp_path), cwd=broken_repo,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout  # a 30 ms sleep in a 0.4 ms call: no clock misses it
    document = json.loads((tmp_path / "bisect.json").read_text())
    assert document["measure"] == "time" and document["candidates"] == 2
    assert document["answer"]["first_bad"]["subject"] == "slow"
    assert document["answer"]["first_bad"]["delta_pct_vs_good"]["core.encode_1MB_ms"] > 50
    assert all("paired runs per side" in s["note"] for s in document["steps"])
    assert len(_worktrees(broken_repo)) == 1


@pytest.mark.process
def test_sigterm_mid_bisection_leaves_no_worktree(broken_repo: Path, tmp_path: Path) -> None:
    import signal
    import sys
    import time

    process = subprocess.Popen(
        [sys.executable, "-m", "hologram_lib.cli", "bisect", "--good", "HEAD~6", "--metric",
         "core.encode_1MB_instructions", "--perf-dir", str(tmp_path)],
        cwd=broken_repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while len(_worktrees(broken_repo)) == 1 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    assert len(_worktrees(broken_repo)) > 1, "no worktree was made within 60 s"
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert len(_worktrees(broken_repo)) == 1 and not (tmp_path / "bisect.json").exists()
    leftovers = [p for p in Path(tempfile_dir()).glob("hologram-ab-*") if (p / "tree").exists()]
    assert not [p for p in leftovers if str(broken_repo) in (p / "tree" / ".git").read_text(errors="replace")]


def tempfile_dir() -> str:
    import tempfile

    return tempfile.gettempdir()


def test_a_merge_is_the_answer_on_main_and_descend_finds_the_branch_commit(tmp_path: Path) -> None:
    """main: the package, notes, a merge of a branch (notes, the +3 % edit, notes), notes."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "hologram_lib", repo / "hologram_lib", ignore=shutil.ignore_patterns("__pycache__"))
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "the package")
    atlas = repo / "hologram_lib" / "atlas.py"

    def note(name: str) -> None:
        (repo / f"{name}.txt").write_text(name)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-qm", name)

    _git(repo, "checkout", "-q", "-b", "feature")
    note("feature notes")
    atlas.write_text(atlas.read_text().replace(ENCODE_RETURN, EDITS["plus3"]))
    _git(repo, "commit", "-qam", "feature: encode does more")
    note("feature more notes")
    _git(repo, "checkout", "-q", "main")
    note("main notes")
    _git(repo, "merge", "-q", "--no-ff", "-m", "merge feature", "feature")
    note("main after the merge")
    common = ("bisect", "--good", "HEAD~3", "--metric", "core.encode_1MB_instructions", "--threshold-pct", "2")
    assert _git(repo, "log", "-1", "--format=%s", "HEAD~3") == "the package"
    for descend, expected in ((False, "merge feature"), (True, "feature: encode does more")):
        perf = tmp_path / f"perf-{descend}"
        done = hologram(*common, *(["--descend"] if descend else []), "--perf-dir", str(perf), cwd=repo)
        assert done.returncode == 0, done.stderr + done.stdout
        document = json.loads((perf / "bisect.json").read_text())
        assert document["candidates"] == 3  # main's first-parent line: notes, the merge, notes
        assert document["answer"]["first_bad"]["subject"] == expected, document["answer"]
        assert document["answer"]["first_bad"]["functions"]["core.encode_1MB_instructions"]
    assert "is a merge: descending into the 3 commits" in done.stderr
    assert len(_worktrees(repo)) == 1


def nightly_bisect_script() -> str:
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "reports.yml").read_text())
    steps = workflow["jobs"]["nightly"]["steps"]
    names = [s.get("name", "") for s in steps]
    bisect_at = next(i for i, name in enumerate(names) if name.startswith("Bisect a new shift on main"))
    assert bisect_at < names.index("Job summary, badge, cache profiles, Slack / Teams")  # the summary shows it
    assert steps[0]["with"]["fetch-depth"] == 0  # the commits between the two runs are in the clone
    return str(steps[bisect_at]["run"])


def test_the_nightly_bisects_the_new_shift_the_store_shows(history_repo: Path, tmp_path: Path) -> None:
    store = tmp_path / "history.duckdb"
    before, after = _store_with_a_change_point(history_repo, store)
    listed = hologram("history", "new-changes", "--store", str(store), "--threshold-pct", "2", cwd=history_repo)
    assert listed.returncode == 0 and listed.stdout.split() == ["core.encode_1MB_ms"], listed.stdout + listed.stderr
    (history_repo / ".venv").symlink_to(ROOT / ".venv")  # the step calls .venv/bin/hologram from the checkout
    env = {"HOLOGRAM_HISTORY": str(store), "REGRESSION_THRESHOLD_PCT": "2", "PATH": "/usr/bin:/bin"}
    try:
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", nightly_bisect_script()],
            cwd=history_repo, env=env, capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip
    finally:
        (history_repo / ".venv").unlink()
    assert done.returncode == 0, done.stderr + done.stdout
    answer = json.loads((history_repo / "reports" / "perf" / "bisect.json").read_text())
    assert answer["good"]["commit"] == before and answer["bad"]["commit"] == after
    assert answer["answer"]["first_bad"]["commit"] == _git(history_repo, "rev-parse", f"HEAD~{COMMITS - CULPRIT_AT}")
    shutil.rmtree(history_repo / "reports")


def test_the_nightly_bisects_nothing_when_no_shift_is_new(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", nightly_bisect_script()],
        cwd=ROOT, env={"HOLOGRAM_HISTORY": str(tmp_path / "empty.duckdb"), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and "no new shift on main: nothing to bisect" in done.stdout, done.stderr
