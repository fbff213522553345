"""Counts, not clocks: the counted measurement under callgrind, its verdicts, fingerprints and attribution.

The end-to-end tests edit hologram_lib/atlas.py in a scratch git clone made here and judge the edits as a user
would, each command a new process: `hologram ab --measure instructions --threshold-pct 2`, and the stored-baseline
flow (collect + promote on the base, collect + compare on the edit). Valgrind is a project dependency (the Makefile
installs Debian's), so its absence fails these tests rather than skipping them.
"""

from __future__ import annotations

import gzip
import json
import math
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from hologram_lib.baseline import compare, read_baseline
from hologram_lib.ci.summary import attribution_markdown, text
from hologram_lib.config import gate_settings, measure_mode, perf_knobs
from hologram_lib.drift import COUNT_NOISE_FLOOR_PCT, RunLogs, compare_runs, judge_counts
from hologram_lib.errors import InputError, ProfileError
from hologram_lib.outcomes import Drift
from hologram_lib.paired_documents import AbDocument
from hologram_lib.perf.callgrind import estimated_cycles, read_profile, top_changes
from hologram_lib.perf.counted import find_valgrind
from hologram_lib.perf.counted_file import fingerprint_difference
from hologram_lib.perf.files import load_perf_dir
from hologram_lib.perf.harness import measure
from tests.helpers import EDITS, ENCODE_RETURN, ROOT, hologram

EXPECTED = {"plus3": Drift.REGRESSED, "plus10": Drift.REGRESSED, "comment": Drift.UNCHANGED}
LOOSE_BUDGETS = {"SLO_ENCODE_P95_MS": "100000", "SLO_VERIFY_P95_MS": "100000", "SLO_GQL_P95_MS": "100000"}


# --- pure parts ----------------------------------------------------------------------------------------------------

PROFILE = """# callgrind format
version: 1
positions: line
events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw

fn=(1) outer
10 100 40 20 1 2 1 0 1 0
cfn=(2) inner
calls=2 5
11 300 0 0 0 0 0 0 0 0
fn=(2)
20 300 10 0 0 1 0 0 0 0
totals: 400 50 20 1 3 1 0 1 0
"""


def test_estimated_cycles_weighs_l1_ll_and_ram_hits_as_iai_callgrind_does() -> None:
    totals = {"Ir": 1000, "Dr": 300, "Dw": 100, "I1mr": 10, "D1mr": 20, "D1mw": 10, "ILmr": 1, "DLmr": 4, "DLmw": 0}
    l1_hits, ll_hits, ram = 1400 - 40, 40 - 5, 5
    assert estimated_cycles(totals) == l1_hits + 5 * ll_hits + 35 * ram == 1360 + 175 + 175
    assert estimated_cycles({"Ir": 7}) == 7  # no cache simulation: instructions only


def test_a_profile_gives_totals_self_and_inclusive_costs_with_compressed_names(tmp_path: Path) -> None:
    path = tmp_path / "p.callgrind.gz"
    path.write_bytes(gzip.compress(PROFILE.encode()))
    profile = read_profile(path)
    assert profile.instructions == 400
    assert profile.self_ir == {"outer": 100, "inner": 300}
    assert profile.inclusive_ir == {"outer": 400, "inner": 300}


def test_a_profile_cut_short_or_not_callgrind_is_refused(tmp_path: Path) -> None:
    cut = tmp_path / "cut.out"
    cut.write_text(PROFILE.split("totals:")[0])
    with pytest.raises(ProfileError, match="cut short"):
        read_profile(cut)
    other = tmp_path / "other.out"
    other.write_text("hello\n")
    with pytest.raises(ProfileError, match="expected a callgrind profile"):
        read_profile(other)
    torn = tmp_path / "torn.gz"
    torn.write_bytes(gzip.compress(PROFILE.encode())[:40])
    with pytest.raises(ProfileError, match="cut short"):
        read_profile(torn)


def test_top_changes_name_the_function_that_moved_with_its_share(tmp_path: Path) -> None:
    base_path, head_path = tmp_path / "b.out", tmp_path / "h.out"
    base_path.write_text(PROFILE)
    head_path.write_text(PROFILE.replace("20 300 10", "20 600 10").replace("totals: 400", "totals: 700"))
    changes = top_changes(read_profile(base_path), read_profile(head_path), 1, 1)
    assert [c.function for c in changes] == ["inner"]
    assert changes[0].delta_self == 300 and math.isclose(changes[0].share_pct, 100.0)


def _logs(values: list[float]) -> RunLogs:
    return RunLogs.of([np.array([v]) for v in values])


def test_counts_flag_three_percent_at_a_two_percent_threshold_and_never_a_layout_wobble() -> None:
    base = _logs([4_292_000.0, 4_292_010.0])
    assert judge_counts(base, _logs([4_420_760.0, 4_420_770.0]), 2.0).status == Drift.REGRESSED  # +3 %
    assert judge_counts(base, _logs([4_304_500.0, 4_304_510.0]), 2.0).status == Drift.UNCHANGED  # +0.29 % (path)
    assert judge_counts(base, _logs([4_100_000.0, 4_100_000.0]), 2.0).status == Drift.IMPROVED
    # Below the measured floor a threshold is raised to it: +0.5 % is layout, not work.
    result = judge_counts(base, _logs([4_313_500.0, 4_313_500.0]), 0.1)
    assert result.status == Drift.UNCHANGED and result.mde_pct == COUNT_NOISE_FLOOR_PCT


def test_counts_that_disagree_between_runs_are_inconclusive_not_a_verdict() -> None:
    result = judge_counts(_logs([100.0, 103.0]), _logs([110.0, 110.0]), 2.0)
    assert result.status == Drift.INCONCLUSIVE and "not a deterministic count" in result.note


def test_counted_keys_go_through_compare_runs_as_counts() -> None:
    base, head = [np.array([1000.0])] * 2, [np.array([1030.0])] * 2
    assert compare_runs(base, head, 2.0).status == Drift.INCONCLUSIVE  # a latency key: too few runs to judge
    from hologram_lib.drift import compare_run_sets

    keyed = compare_run_sets({"core.encode_1MB_instructions": (base, head)}, 2.0, paired=True)
    assert keyed["core.encode_1MB_instructions"].status == Drift.REGRESSED


def test_fingerprints_compare_equal_or_say_what_differs() -> None:
    one = {"python": "CPython 3.11.7", "numpy": "2.4.6", "valgrind": "3.19.0"}
    assert fingerprint_difference(one, dict(one)) is None
    other = {**one, "numpy": "2.3.0"}
    assert fingerprint_difference(one, other) == "counts from another toolchain are not comparable: numpy 2.4.6 → 2.3.0"
    assert "recorded no toolchain fingerprint" in str(fingerprint_difference(None, one))


def test_measure_mode_is_read_from_the_registry_and_a_bad_value_is_bad_input() -> None:
    assert perf_knobs(environ={"HOLOGRAM_MEASURE": "instructions"}).measure == "instructions"
    assert perf_knobs(environ={}).measure == "wall"
    assert measure_mode(" AUTO ") == "auto"
    with pytest.raises(InputError, match="HOLOGRAM_MEASURE='cycles': expected one of wall, instructions, auto"):
        perf_knobs(environ={"HOLOGRAM_MEASURE": "cycles"})


def test_without_valgrind_instructions_is_exit_2_and_auto_falls_back_in_one_line(tmp_path: Path) -> None:
    bare = {"PATH": str(tmp_path)}  # no valgrind on this PATH
    done = hologram(
        "perf", "collect", "--suite", "core", "--runs", "1", "--samples", "5", "--perf-dir", str(tmp_path / "p"),
        "--measure", "instructions", env=bare,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "hologram: error: --measure instructions: valgrind is not installed (Debian / Ubuntu: apt-get install valgrind)"
    ]
    done = hologram(
        "perf", "collect", "--suite", "core", "--runs", "1", "--samples", "5", "--perf-dir", str(tmp_path / "q"),
        "--measure", "auto", env={**bare, **LOOSE_BUDGETS},
    )  # fmt: skip
    assert "counts: not measured (valgrind is not installed" in done.stdout + done.stderr
    assert not any(k.endswith("_instructions") for k in load_perf_dir(tmp_path / "q"))


# --- under valgrind ------------------------------------------------------------------------------------------------


def _require_valgrind() -> None:
    found = find_valgrind()
    assert not isinstance(found, str), f"the counted tests need valgrind (make installs it): {found}"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args], check=True, capture_output=True
    )


@pytest.fixture(scope="module")
def edited_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch clone of this checkout's files with one branch per edit of atlas.encode."""
    _require_valgrind()
    repo = tmp_path_factory.mktemp("counted") / "repo"
    shutil.copytree(ROOT / "hologram_lib", repo / "hologram_lib", ignore=shutil.ignore_patterns("__pycache__"))
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    atlas = repo / "hologram_lib" / "atlas.py"
    original = atlas.read_text()
    assert original.count(ENCODE_RETURN) == 1
    for name, replacement in EDITS.items():
        _git(repo, "checkout", "-q", "-b", name, "main")
        atlas.write_text(original.replace(ENCODE_RETURN, replacement))
        _git(repo, "commit", "-qam", name)
    _git(repo, "checkout", "-q", "main")
    return repo


def test_a_counted_collect_records_counts_fingerprint_and_profiles(tmp_path: Path) -> None:
    _require_valgrind()
    perf = tmp_path / "perf"
    done = hologram(
        "perf", "collect", "--suite", "core", "--runs", "3", "--max-runs", "3", "--samples", "20",
        "--perf-dir", str(perf), "--measure", "instructions", env=LOOSE_BUDGETS,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    metrics = load_perf_dir(perf)
    for key in ("core.encode_1MB_instructions", "core.encode_1MB_est_cycles", "core.verify_instructions"):
        data = metrics[key]
        assert data.run_count == 2 and data.samples is not None
        assert float(np.ptp(data.samples)) / float(data.samples[0]) < COUNT_NOISE_FLOOR_PCT / 100 / 2
        assert data.fingerprint is not None and data.fingerprint["valgrind"].startswith("3.")
    instructions = metrics["core.encode_1MB_instructions"].samples
    cycles = metrics["core.encode_1MB_est_cycles"].samples
    assert instructions is not None and cycles is not None and cycles[0] > instructions[0] > 1_000_000
    counted = json.loads((perf / "counted.json").read_text())
    assert {"python", "numpy", "numpy_simd", "valgrind", "arch", "cache"} <= set(counted["fingerprint"])
    profile = perf / counted["metrics"]["core.encode_1MB_instructions"]["profile"]
    assert profile.name == "core.encode_1MB.callgrind.gz"
    kept = read_profile(profile).instructions  # one run's profile: 5 counted calls of that run (runs differ by ~1e-5)
    assert any(kept == pytest.approx(5 * per_call, rel=1e-6) for per_call in instructions), (kept, instructions)


def test_a_baseline_of_another_toolchain_is_inconclusive_never_regressed(tmp_path: Path) -> None:
    _require_valgrind()
    perf = tmp_path / "perf"
    done = hologram(
        "perf", "collect", "--suite", "core", "--runs", "3", "--max-runs", "3", "--samples", "20",
        "--perf-dir", str(perf), "--measure", "instructions", env=LOOSE_BUDGETS,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    baseline_path = tmp_path / "baseline.json"
    assert (
        hologram("baseline", "promote", "--force", "--perf-dir", str(perf), "--baseline", str(baseline_path)).returncode
        == 0
    )
    document = json.loads(baseline_path.read_text())
    for entry in document["metrics"].values():
        if "fingerprint" in entry:
            entry["fingerprint"]["numpy"] = "1.26.0"
            entry["runs"] = [[v * 1.5 for v in run] for run in entry["runs"]]  # would be −33 %: must not matter
            entry["p95_ms"] = entry["p95_ms"] * 1.5
    baseline_path.write_text(json.dumps(document))
    report = compare(read_baseline(baseline_path), load_perf_dir(perf), 2.0, gate_settings("default"))
    counted = [d for d in report.drifts if d.metric.endswith(("_instructions", "_est_cycles"))]
    assert counted and all(d.status == Drift.INCONCLUSIVE for d in counted)
    assert all("numpy 1.26.0 → " in d.reason for d in counted)


@pytest.mark.parametrize("edit", list(EDITS))
def test_ab_on_counts_judges_three_edits_of_encode(edited_repo: Path, edit: str) -> None:
    perf = edited_repo / "reports" / f"ab-{edit}"
    done = hologram(
        "ab", "--base", "main", "--head", edit, "--measure", "instructions", "--threshold-pct", "2",
        "--runs", "3", "--samples", "20", "--perf-dir", str(perf), cwd=edited_repo,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    document = json.loads((perf / "ab.json").read_text())
    result = document["metrics"]["core.encode_1MB_instructions"]
    assert result["status"] == EXPECTED[edit], (edit, result)
    assert document["metrics"]["core.verify_instructions"]["status"] == Drift.UNCHANGED
    ratio = result["ratio"]
    low, high = {"plus3": (1.02, 1.05), "plus10": (1.08, 1.14), "comment": (0.995, 1.005)}[edit]
    assert low < ratio < high, ratio  # the edit is the size the test says it is
    if EXPECTED[edit] == Drift.REGRESSED:
        assert done.returncode == 1
        assert "where core.encode_1MB_instructions went" in done.stdout
        attribution = json.loads((perf / "attribution.json").read_text())
        functions = attribution["metrics"]["core.encode_1MB_instructions"]["functions"]
        assert functions and sum(f["share_pct"] for f in functions) > 50  # the named functions carry the change
        assert (perf / "profiles" / "ab" / "head.core.encode_1MB.callgrind.gz").is_file()
        # what the job summary shows under the A/B table
        summary = "\n".join(attribution_markdown(AbDocument.read(perf / "ab.json")))
        assert (
            "Where core.encode_1MB_instructions went" in summary and f"| {text(functions[0]['function'])} |" in summary
        )


def test_the_stored_baseline_flow_on_counts_judges_three_edits_of_encode(edited_repo: Path, tmp_path: Path) -> None:
    collect = ["perf", "collect", "--suite", "core", "--runs", "3", "--max-runs", "3", "--samples", "20"]
    base_perf, baseline = tmp_path / "base", tmp_path / "baseline.json"
    done = hologram(
        *collect, "--perf-dir", str(base_perf), "--measure", "instructions", env=LOOSE_BUDGETS, cwd=edited_repo
    )
    assert done.returncode == 0, done.stderr
    # --force: only the core suite is collected here, so the default profile's graphql budget is missing.
    done = hologram(
        "baseline",
        "promote",
        "--force",
        "--perf-dir",
        str(base_perf),
        "--baseline",
        str(baseline),
        env=LOOSE_BUDGETS,
        cwd=edited_repo,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    for edit in EDITS:
        _git(edited_repo, "checkout", "-q", edit)
        try:
            perf = tmp_path / edit
            done = hologram(
                *collect,
                "--perf-dir",
                str(perf),
                env={**LOOSE_BUDGETS, "HOLOGRAM_MEASURE": "instructions"},
                cwd=edited_repo,
            )
            assert done.returncode == 0, done.stderr
            out = tmp_path / f"{edit}.json"
            done = hologram(
                "baseline", "compare", "--perf-dir", str(perf), "--baseline", str(baseline),
                "--baseline-source", "file", "--threshold-pct", "2", "--json", str(out), env=LOOSE_BUDGETS,
                cwd=edited_repo,
            )  # fmt: skip
            assert done.returncode in (0, 1), done.stderr
            report = json.loads(out.read_text())
            drifts = {d["metric"]: d["status"] for d in report["drifts"]}
            assert drifts["core.encode_1MB_instructions"] == EXPECTED[edit], (edit, drifts)
            assert drifts["core.verify_instructions"] == Drift.UNCHANGED
            counted_blocks = [
                d["metric"] for d in report["drifts"] if d["blocks"] and d["metric"].endswith("_instructions")
            ]
            assert counted_blocks == (["core.encode_1MB_instructions"] if EXPECTED[edit] == Drift.REGRESSED else [])
            if EXPECTED[edit] == Drift.REGRESSED:  # the gate fails on a counted regression
                assert done.returncode == 1 and not report["passed"]
        finally:
            _git(edited_repo, "checkout", "-q", "main")


def test_measure_records_thread_cpu_time_without_the_time_spent_waiting() -> None:
    cpu: list[float] = []
    wall = measure(lambda: time.sleep(0.005), 4, cpu_ms=cpu)
    assert len(cpu) == 4 and (wall >= 5.0).all()
    assert max(cpu) < 2.0  # asleep: on the wall clock, not on the thread's CPU clock


def test_calibrate_reports_the_counted_spread_beside_the_wall_clock(tmp_path: Path) -> None:
    _require_valgrind()
    perf = tmp_path / "perf"
    done = hologram(
        "calibrate", "--suite", "core", "--runs", "3", "--samples", "20", "--measure", "instructions",
        "--threshold-pct", "2", "--perf-dir", str(perf),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    noise = json.loads((perf / "noise.json").read_text())
    assert "core.encode_1MB_ms" in noise["metrics"]  # the wall clock's spread, as before
    counted = noise["counted"]
    assert counted["noise_floor_pct"] == COUNT_NOISE_FLOOR_PCT
    for key in ("core.encode_1MB_instructions", "core.verify_instructions"):
        entry = counted["metrics"][key]
        assert entry["aa_status"] == Drift.UNCHANGED
        assert entry["spread_pct"] < COUNT_NOISE_FLOOR_PCT / 2 and entry["aa_difference_pct"] < COUNT_NOISE_FLOOR_PCT
    assert "counts (callgrind), noise floor 1.0%" in done.stdout
