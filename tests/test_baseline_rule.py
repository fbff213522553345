"""Which baseline, said once (issue 20): a named baseline always wins and a bad one is exit 2; only CI builds of
main (or runs marked so) become "green main"; a run dated in the future is refused; an A/B of another commit is
ignored with a note; and the exit codes say what happened (a crash is never "the gate failed")."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hologram_lib.drift import DriftResult
from hologram_lib.errors import InputError
from hologram_lib.experiments.ab import AbReport, write_ab
from hologram_lib.history.lanes import current_lane
from hologram_lib.history.records import MetricRow, RunRecord, now_utc
from hologram_lib.history.series import green_main_runs, read_series
from hologram_lib.history.store import add_runs
from tests.helpers import ROOT, head_commit, hologram, lognormal_runs, situation, write_perf


def _store_of_regressed_main(tmp_path: Path) -> tuple[Path, Path]:
    """The issue's situation: a store of 5 green main runs the current run regressed from, no A/B, no file."""
    reports = situation(tmp_path, store=True, file=False, ab=False)
    return reports, tmp_path / "history.duckdb"


def _verdict(reports: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return hologram(
        "verdict", "--perf-dir", str(reports / "perf"), "--events", str(reports / "e2e" / "events.jsonl"), *extra,
        env={"HOLOGRAM_HISTORY": str(reports.parent / "history.duckdb"), **(env or {})},
    )  # fmt: skip


@pytest.mark.parametrize("via", ["--baseline", "HOLOGRAM_BASELINE"])
def test_a_named_baseline_wins_over_the_store_and_a_bad_one_is_exit_2(tmp_path: Path, via: str) -> None:
    reports, _ = _store_of_regressed_main(tmp_path)
    assert _verdict(reports).returncode == 1  # judged against the store: verify regressed
    same = situation(tmp_path / "file", store=False, file=True, ab=False) / "perf" / "baseline.json"

    def named(path: Path, command: str = "verdict") -> subprocess.CompletedProcess[str]:
        flag = ("--baseline", str(path)) if via == "--baseline" else ()
        env = {"HOLOGRAM_BASELINE": str(path)} if via == "HOLOGRAM_BASELINE" else {}
        if command == "verdict":
            return _verdict(reports, *flag, env=env)
        store = str(tmp_path / "history.duckdb")
        return hologram("baseline", "compare", "--perf-dir", str(reports / "perf"), "--store", store, *flag, env=env)

    for command in ("verdict", "compare"):
        done = named(same, command)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"the named baseline {same}" in done.stdout
        truncated = tmp_path / "truncated.json"
        truncated.write_text(same.read_text()[:200])
        for bad in (truncated, tmp_path / "mistyped.json"):
            done = named(bad, command)
            assert done.returncode == 2, done.stdout
            assert done.stderr.startswith(f"hologram: error: {bad}") and len(done.stderr.splitlines()) == 1


def test_the_verdict_and_the_summary_name_the_source_with_its_commit_range(tmp_path: Path) -> None:
    reports, _ = _store_of_regressed_main(tmp_path)
    done = _verdict(reports, "--json", str(reports / "verdict.json"))
    assert "note: drift judged against the last 5 green main runs in" in done.stdout
    source = json.loads((reports / "verdict.json").read_text())["baseline"]
    assert source["kind"] == "history" and len(source["run_ids"]) == 5 and source["commits"] == "?..?"
    summary = hologram("summary", "--reports-dir", str(reports), env={"HOLOGRAM_HISTORY": "/nonexistent/h.duckdb"})
    assert "Baseline: the last 5 green main runs in" in summary.stdout  # read from verdict.json, not the env


def _record(run_id: str, when: datetime, *, green: bool | None = True) -> RunRecord:
    rows = (MetricRow("core.verify_ms", 10, 400, 1.0, 1.1, None, None, 1.0, 1.09, 0.05),)
    here = current_lane()  # the baseline's lane: this repository on this machine
    return RunRecord(run_id, when, "c" * 40, "main", "main", "r", here.machine, green, "{}", "test", rows,
                     here.repository)  # fmt: skip


def test_a_run_dated_in_the_future_is_refused_at_append_and_import(tmp_path: Path) -> None:
    store = tmp_path / "h.duckdb"
    add_runs(store, [_record("now", now_utc() + timedelta(minutes=5))])  # clock skew within the tolerance
    with pytest.raises(InputError, match="in the future"):
        add_runs(store, [_record("far", datetime(9999, 12, 31))])
    artifact = write_perf(tmp_path / "artifact" / "perf", 1.0, 3, "99991231T000000Z-x")
    done = hologram("history", "import", str(artifact), "--branch", "main", "--store", str(store))
    assert done.returncode == 2 and "dated 9999-12-31 00:00:00 UTC, in the future" in done.stderr, done.stderr
    assert list(read_series(store)) == ["core.verify_ms"] and read_series(store)["core.verify_ms"].run_ids == ("now",)


def _report(tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    reports = situation(tmp_path, store=False, file=False, ab=False)
    return hologram("report", "--no-collect", "--profile", "default", "--reports-dir", str(reports), *extra, env=env)


@pytest.mark.parametrize(
    ("env", "extra", "candidate"),
    [
        ({}, (), False),  # a laptop on branch main
        ({"GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF": "refs/pull/7/merge"}, (), False),
        ({"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main", "GITHUB_REF_NAME": "main"}, (), True),
        ({}, ("--as-main-build",), True),
    ],
)
@pytest.mark.notebook
def test_only_a_ci_main_build_or_a_marked_run_becomes_green_main(
    tmp_path: Path, env: dict[str, str], extra: tuple[str, ...], candidate: bool
) -> None:
    store = tmp_path / "h.duckdb"
    done = _report(tmp_path, *extra, env={"HOLOGRAM_HISTORY": str(store), "SLO_GQL_P95_MS": "100", **env})
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert ("as a green main build" if candidate else "as a local run, never a baseline") in done.stdout
    assert len(read_series(store, branch=None)["core.verify_ms"].run_ids) == 1  # stored either way (trends)
    assert len(green_main_runs(store, 10).run_ids) == (1 if candidate else 0)


def test_an_a_b_of_another_commit_is_ignored_with_a_note(tmp_path: Path) -> None:
    reports = situation(tmp_path, store=False, file=False, ab=False)
    result = DriftResult(status="regressed", ratio=1.31, ci_low=1.2, ci_high=1.43, mde_pct=6.0)
    regressed = {"core.encode_1MB_ms": result}
    base = {"ref": "origin/main", "commit": "c" * 40}
    stale = {"ref": "working tree", "commit": "a" * 40, "dirty": False}
    write_ab(reports / "perf", AbReport(base, stale, 10, 10.0, regressed))
    done = _verdict(reports)
    assert done.returncode == 0 and f"note: stale A/B of {'a' * 12}: ignored" in done.stdout, done.stdout
    current = {"ref": "working tree", "commit": head_commit(), "dirty": True}
    write_ab(reports / "perf", AbReport(base, current, 10, 10.0, regressed))
    done = _verdict(reports)
    assert done.returncode == 1 and "core.encode_1MB_ms regressed in the paired A/B vs origin/main" in done.stdout
    assert "measured a working tree with uncommitted changes" in done.stdout


def test_an_internal_error_is_exit_4_with_one_line_and_the_traceback_in_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug is not "the gate failed" (it was exit 1 with a traceback, like any uncaught exception)."""
    from hologram_lib import budgets, cli

    def bug(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug\nover two lines")

    monkeypatch.setattr(budgets, "evaluate", bug)
    assert cli.main(["gate", "--perf-dir", str(tmp_path)]) == 4
    line = capsys.readouterr().err.strip()
    assert len(line.splitlines()) == 1 and line.startswith("hologram: internal error: RuntimeError: a bug over two")
    log = Path(line.rpartition("(traceback in ")[2].rstrip(")"))
    assert "Traceback" in log.read_text() and 'raise RuntimeError("a bug' in log.read_text()
    log.unlink()


def test_a_stack_that_does_not_start_is_exit_3_could_not_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from hologram_lib import cli
    from hologram_lib.devstack import stack
    from hologram_lib.errors import StackError

    def down(*_args: object, **_kwargs: object) -> None:
        raise StackError("the IPFS node did not answer in 1 s")

    monkeypatch.setattr(stack, "up", down)
    assert cli.main(["stack", "up", "--state-dir", str(tmp_path)]) == 3
    assert capsys.readouterr().err == "hologram: could not run: the IPFS node did not answer in 1 s\n"


def test_exit_codes_are_a_type_and_the_docs_list_them() -> None:
    from hologram_lib.errors import ExitCode

    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 4, 130]
    page = (ROOT / "docs" / "verdicts.md").read_text()
    section = page.split("## One verdict, one baseline rule, one set of exit codes")[1].split("\n## ")[0]
    for code in ExitCode:
        assert f"| {int(code)} |" in section, code


DEPLOYMENT = {"IPFS_API": "ipfs.example.com", "GRAPHQL_URL": "api.example.com"}


def test_endpoints_are_recorded_as_hosts_never_paths_or_credentials() -> None:
    from hologram_lib import config

    knobs = config.perf_knobs(environ={"IPFS_API": "https://u:secret@ipfs.example.com:5001/api/v0",
                                       "GRAPHQL_URL": "https://api.example.com/graphql?token=x"}).public()  # fmt: skip
    assert knobs["endpoints"] == DEPLOYMENT
    assert config.perf_knobs(environ={}).public()["endpoints"] == dict.fromkeys(DEPLOYMENT, config.LOOPBACK)


def test_a_baseline_of_another_target_is_refused_with_a_reason(tmp_path: Path) -> None:
    """Fork PRs measure the embedded stack while main measured the deployment: never compared silently."""
    from hologram_lib.baseline import baseline_document, write_baseline
    from hologram_lib.perf.files import load_perf_dir

    reports = situation(tmp_path, store=False, file=False, ab=False)
    slow = load_perf_dir(write_perf(tmp_path / "deployed", 0.5, 9, "20261130T030000Z-deployed"))
    baseline = reports / "perf" / "baseline.json"
    write_baseline(baseline, baseline_document(slow, {"branch": "main", "knobs": {"endpoints": DEPLOYMENT}}))
    done = _verdict(reports)
    assert done.returncode == 0, done.stdout  # verify ×2 of the deployment's figures: not compared, and said
    assert "refused: drift between different targets (the baseline measured" in done.stdout
    named = _verdict(reports, "--baseline", str(baseline))
    assert named.returncode == 2 and "drift between different targets refused" in named.stderr
    same = _verdict(
        reports, env={"IPFS_API": "http://ipfs.example.com:5001", "GRAPHQL_URL": "https://api.example.com/g"}
    )
    assert "drift judged against baseline.json" in same.stdout  # the same target: compared


def test_history_runs_of_another_target_are_not_a_baseline(tmp_path: Path) -> None:
    from dataclasses import replace

    from hologram_lib.history.series import MAIN
    from hologram_lib.history.store import knobs_json

    reports = situation(tmp_path, store=False, file=False, ab=False)
    store = tmp_path / "history.duckdb"
    deployed = [replace(_record(f"d{i}", datetime(2026, 11, 1 + i)), knobs=knobs_json({"endpoints": DEPLOYMENT}),
                        branch=MAIN) for i in range(4)]  # fmt: skip
    add_runs(store, deployed)
    done = _verdict(reports)
    assert "history store not used: drift between different targets refused" in done.stdout, done.stdout


def test_promote_after_a_partial_collect_judges_only_what_was_collected(
    tmp_path: Path, make_perf_dir: Callable[..., Path]
) -> None:
    """`perf collect --suite core` then `baseline promote`: the graphql budget it was not asked to collect is not
    "missing" (it refused: "after a failed perf gate"); the baseline goes beside its perf folder."""
    encode = lognormal_runs(10.0, 0.1, 10, 40, 2)
    perf = make_perf_dir({"core.verify_ms": lognormal_runs(1.0, 0.1, 10, 40, 1), "core.encode_1MB_ms": encode}, "p")
    done = hologram("baseline", "promote", "--perf-dir", str(perf), env={"GITHUB_REF_NAME": "main"})
    assert done.returncode == 0, done.stderr
    assert f"baseline: promoted {perf / 'baseline.json'} (the budgets of the suites collected: core)" in done.stdout
    slow = make_perf_dir({"core.verify_ms": lognormal_runs(500.0, 0.1, 10, 40, 1), "core.encode_1MB_ms": encode}, "s")
    refused = hologram("baseline", "promote", "--perf-dir", str(slow), env={"GITHUB_REF_NAME": "main"})
    assert refused.returncode == 1 and "after a failed perf gate" in refused.stderr  # what it collected still counts


def test_the_compare_says_which_calibration_it_used(tmp_path: Path) -> None:
    reports = situation(tmp_path, store=False, file=True, ab=False)
    done = hologram("baseline", "compare", "--perf-dir", str(reports / "perf"))
    assert "note: session noise: the defaults (no noise.json" in done.stdout, done.stdout
    (reports / "perf" / "noise.json").write_text(
        '{"kind": "hologram-noise/1", "created": "2026-12-01T03:00:00Z", "metrics": {}}'
    )
    done = hologram("baseline", "compare", "--perf-dir", str(reports / "perf"))
    noise = reports / "perf" / "noise.json"
    assert f"note: session noise from {noise} (`hologram calibrate` of 2026-12-01T03:00:00Z)" in done.stdout
