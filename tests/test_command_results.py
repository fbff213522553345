"""What the commands used to decide and word themselves now lives in the library beside the data it is about: the
promotion of a perf folder, the probe's and collect's lines, the report's -p parsing, `redact --check`'s findings,
whether a command counts instructions. Tested here without the CLI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from hologram_lib.baseline.promotion import gate_of_collected, measured_knobs, promote_perf_dir
from hologram_lib.config import gate_settings, perf_knobs
from hologram_lib.e2e.probe import ProbeResult
from hologram_lib.errors import InputError, Refused
from hologram_lib.outcomes import Step
from hologram_lib.perf.collect import CollectOutcome
from hologram_lib.perf.counted import counting_valgrind
from hologram_lib.perf.files import MetricResult, load_perf_dir
from hologram_lib.redact import secret_findings
from hologram_lib.report.params import parse_assignments

MAIN = {"GITHUB_REF_NAME": "main"}


def _core(verify_ms: float) -> dict[str, object]:
    """Both budgeted core metrics, 10 runs of 40 samples."""
    return {"core.verify_ms": _runs(verify_ms, 10, 40), "core.encode_1MB_ms": _runs(10.0, 10, 40)}


def _runs(median_ms: float, runs: int, samples: int) -> list[np.ndarray]:
    rng = np.random.default_rng(int(median_ms * 1000) + samples)
    return [median_ms * np.exp(0.05 * rng.standard_normal(samples)) for _ in range(runs)]


def test_promotion_judges_only_the_suites_collected(make_perf_dir: Callable[..., Path]) -> None:
    """After `perf collect --suite core` the graphql budget is not "missing"; a slow core still fails the gate."""
    core_only = load_perf_dir(make_perf_dir(_core(1.0)))
    settings = gate_settings("default")
    assert "graphql.resolve_ms" in settings.budgets
    assert gate_of_collected(core_only, settings)
    slow = load_perf_dir(make_perf_dir(_core(1000.0), name="slow"))
    assert not gate_of_collected(slow, settings)


def test_promotion_records_the_samples_per_run_the_core_suite_was_measured_with(
    make_perf_dir: Callable[..., Path],
) -> None:
    metrics = load_perf_dir(
        make_perf_dir({"core.verify_ms": [*_runs(1.0, 4, 30), *_runs(1.0, 1, 37)], "ipfs.add_ms": _runs(2.0, 3, 99)})
    )
    assert measured_knobs(metrics).samples == 37  # core's largest run, not ipfs's
    assert measured_knobs(load_perf_dir(make_perf_dir({"ipfs.add_ms": _runs(2.0, 3, 9)}, name="x"))).samples == (
        perf_knobs().samples
    )


def test_promote_perf_dir_writes_beside_the_perf_folder_unless_named(
    make_perf_dir: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in MAIN.items():
        monkeypatch.setenv(name, value)
    perf_dir = make_perf_dir(_core(1.0))
    promotion = promote_perf_dir(perf_dir, gate_settings("default"), None, force=False)
    assert promotion.path == perf_dir / "baseline.json" and promotion.path.is_file()
    assert promotion.collected == ["core"]
    assert (
        promotion.line()
        == f"baseline: promoted {perf_dir / 'baseline.json'} (the budgets of the suites collected: core)"
    )
    named = promote_perf_dir(perf_dir, gate_settings("default"), tmp_path / "named.json", force=False)
    assert named.path == tmp_path / "named.json" and named.path.is_file()
    slow = make_perf_dir(_core(1000.0), name="slow")
    with pytest.raises(Refused, match="failed perf gate"):
        promote_perf_dir(slow, gate_settings("default"), None, force=False)


def test_the_probe_says_its_run_in_one_line(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    passed = ProbeResult(run_id="r1", status=Step.OK, step_ms={"a": 1.0, "b": 2.0}, wall_s=1.234, waited_s=0.5)
    assert passed.line(events) == (
        f"e2e probe: PASS run r1: 2 steps in 1.23 s (0.50 s waiting on the services); events in {events}"
    )
    failed = ProbeResult(run_id="r2", status=Step.FAIL, last_ok="publish", failed_step="resolve", error="timed out")
    assert failed.failed and failed.line(events) == "e2e probe: FAIL run r2 at resolve (last ok: publish): timed out"
    skipped = ProbeResult(run_id="r3", status=Step.SKIP, error="IPFS_API is not set")
    assert not skipped.failed and skipped.line(events) == "e2e probe: SKIP (IPFS_API is not set)"


def test_collect_says_each_suite_and_knows_when_one_errored(tmp_path: Path) -> None:
    files = (tmp_path / "samples" / "core.csv", tmp_path / "core_perf.csv")
    measured = CollectOutcome("core", [MetricResult.one_run("core", "verify_ms", [1.0])], files, 10, 0.25)
    assert measured.line() == f"core: 10 runs, 250 ms start-up per run; wrote {files[0]} and {files[1]}"
    assert not measured.errored
    broken = CollectOutcome("ipfs", [MetricResult("ipfs", "add_ms", None, "error: connection refused")], files)
    assert broken.errored and broken.line() == f"ipfs: 0 runs; wrote {files[0]} and {files[1]}"
    skipped = CollectOutcome("ipfs", [MetricResult("ipfs", "add_ms", None, "skipped: IPFS_API is not set")], files)
    assert not skipped.errored


def test_notebook_parameters_are_json_else_strings_and_name_their_notebook() -> None:
    parsed = parse_assignments(["perf_analysis.ecdf_points=500", "perf_analysis.title=slow run", "e2e_probe.x=[1]"])
    assert parsed == {"perf_analysis": {"ecdf_points": 500, "title": "slow run"}, "e2e_probe": {"x": [1]}}
    for bad in ("perf_analysis", "nowhere.x=1", "ecdf_points=1"):
        with pytest.raises(InputError, match=r"expected NOTEBOOK\.NAME=VALUE"):
            parse_assignments([bad])


def test_redact_check_names_each_line_with_a_secret(tmp_path: Path) -> None:
    clean, dirty = tmp_path / "clean.txt", tmp_path / "dirty.txt"
    clean.write_text("nothing here\n")
    dirty.write_text("one\ntoken is s3cr3t-value-123\nthree\n")
    assert secret_findings([clean], ["s3cr3t-value-123"]) == []
    assert secret_findings([clean, dirty], ["s3cr3t-value-123"]) == [
        f"{dirty}:2: a secret-shaped value (redact it or remove it)"
    ]
    with pytest.raises(InputError, match="cannot read"):
        secret_findings([tmp_path / "absent.txt"])


def test_counting_valgrind_says_why_the_clock_alone_judges(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    said: list[str] = []
    assert counting_valgrind(replace(perf_knobs(), measure="wall"), said.append) is None
    assert said == []  # the clock was asked for: nothing to say
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without valgrind
    assert counting_valgrind(replace(perf_knobs(), measure="auto"), said.append) is None
    assert said == ["counts: not measured (valgrind is not installed (Debian / Ubuntu: apt-get install valgrind)); "
                    "the wall clock alone"]  # fmt: skip
    with pytest.raises(InputError, match="--measure instructions"):
        counting_valgrind(replace(perf_knobs(), measure="instructions"), said.append)
