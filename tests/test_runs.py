"""Runs as the unit of measurement: the samples file's `run` column, budgets over runs, `calibrate` and `ab`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hologram_lib import budgets, stats
from hologram_lib.errors import InputError
from hologram_lib.perf.files import read_samples
from tests.helpers import CODEC, git, hologram, lognormal, lognormal_runs, worktrees


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_samples_file_without_run_is_one_run_and_runs_keep_their_numbers(tmp_path: Path) -> None:
    old = write(tmp_path / "old.csv", "suite,metric,sample_ms\ncore,verify_ms,1.0\ncore,verify_ms,2.0\n")
    assert [list(run) for run in read_samples(old)["core.verify_ms"][1]] == [[1.0, 2.0]]
    new = write(tmp_path / "new.csv", "suite,metric,run,sample_ms\ncore,m,2,5\ncore,m,1,1\ncore,m,1,2\ncore,m,2,6\n")
    assert [list(run) for run in read_samples(new)["core.m"][1]] == [[1.0, 2.0], [5.0, 6.0]]
    quoted = write(tmp_path / "q.csv", 'suite,metric,run,sample_ms\ncore,m,2,"5"\ncore,m,1,1\ncore,m,1,2\ncore,m,2,6\n')
    assert [list(r) for r in read_samples(quoted)["core.m"][1]] == [[1.0, 2.0], [5.0, 6.0]]  # careful = fast


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("core,m,0,1.0\n", "run: expected a positive whole number, got '0'"),
        ("core,m,x,1.0\n", "run: expected a positive whole number, got 'x'"),
        ("core,m,１,1.0\n", "run: expected a positive whole number, got '１'"),
        ("core,m,1,1.0\ncore,m,3,1.0\n", "core.m: expected runs numbered 1…3; run 2 has no samples"),
        ("core,m,1,1\ncore,m,1,1\ncore,m,1,1\ncore,m,2,1\n", "core.m: run 2 has 1 samples where another has 3"),
    ],
)
def test_bad_run_columns_are_located_errors(tmp_path: Path, body: str, expected: str) -> None:
    path = write(tmp_path / "perf" / "samples" / "core.csv", "suite,metric,run,sample_ms\n" + body)
    with pytest.raises(InputError, match=expected):
        read_samples(path)
    done = hologram("gate", "--perf-dir", str(tmp_path / "perf"))
    assert done.returncode == 2 and str(path) in done.stderr and expected.split(":")[0] in done.stderr
    assert "Traceback" not in done.stderr


def test_a_repeated_header_column_is_refused_by_both_readers(tmp_path: Path) -> None:
    fast = write(tmp_path / "a.csv", "suite,metric,sample_ms,sample_ms\ncore,m,1,9\n")
    careful = write(tmp_path / "b.csv", 'suite,metric,sample_ms,sample_ms\ncore,m,"1",9\n')
    for path in (fast, careful):
        with pytest.raises(InputError, match="repeated: sample_ms"):
            read_samples(path)


def test_budget_over_runs_carries_the_noise_between_processes() -> None:
    rng = np.random.default_rng(5)
    # Ten processes whose levels differ by 30 % (log-sd) while each is tight inside: one run's interval is
    # narrow and wrong about the next process; the interval over runs is wide enough to cover it.
    runs = [np.exp(0.3 * rng.standard_normal() + 0.02 * rng.standard_normal(200)) for _ in range(10)]
    one = budgets.check_budget(runs[0], 10.0)
    over_runs = budgets.check_budget_runs(runs, 10.0)
    assert over_runs.runs == 10 and over_runs.n == 2000 and one.runs == 1
    width = lambda r: np.log(r.ci_high_ms / r.ci_low_ms)  # noqa: E731
    assert width(over_runs) > 10 * width(one)
    assert over_runs.p95_ms == pytest.approx(stats.quantile(np.sort(np.concatenate(runs))))
    assert over_runs.ci_low_ms < over_runs.p95_ms < over_runs.ci_high_ms
    tight = budgets.check_budget_runs(runs, over_runs.p95_ms * 1.02)
    assert tight.status == "inconclusive" and tight.runs_needed is not None and tight.runs_needed > 10
    assert budgets.check_budget_runs(runs, over_runs.ci_high_ms * 1.01).status == "pass"
    assert budgets.check_budget_runs(runs, over_runs.ci_low_ms * 0.99).status == "fail"
    assert budgets.check_budget_runs(runs, 1.0) == budgets.check_budget_runs(list(runs), 1.0)  # seeded from the data
    with pytest.raises(ValueError, match="samples in every run"):
        budgets.check_budget_runs([runs[0], []], 1.0)


def test_gate_reports_runs_and_one_run_is_labelled(make_perf_dir, tmp_path: Path) -> None:
    runs_dir = make_perf_dir({"core.verify_ms": lognormal_runs(1.0, 0.1, 10, 40, 1)}, name="runs")
    done = hologram("gate", "--perf-dir", str(runs_dir), "--json", str(tmp_path / "g.json"))
    assert "10 runs, n=400" in done.stdout
    verify = next(
        v for v in json.loads((tmp_path / "g.json").read_text())["verdicts"] if v["metric"] == "core.verify_ms"
    )
    assert verify["status"] == "pass" and verify["result"]["runs"] == 10
    one_dir = make_perf_dir({"core.verify_ms": lognormal(1.0, 0.1, 200, 1)}, name="one")
    assert "1 run: machine noise not measured" in hologram("gate", "--perf-dir", str(one_dir)).stdout


@pytest.mark.notebook
def test_calibrate_writes_the_noise_and_the_report_shows_it(tmp_path: Path) -> None:
    perf_dir = tmp_path / "reports" / "perf"
    done = hologram("calibrate", "--runs", "3", "--samples", "40", "--suite", "core", "--perf-dir", str(perf_dir))
    assert done.returncode == 0, done.stderr
    noise = json.loads((perf_dir / "noise.json").read_text())
    assert noise["kind"] == "hologram-noise/1" and noise["runs_per_group"] == 3
    assert set(noise["metrics"]) == {
        "core.encode_1MB_ms",
        "core.verify_ms",
        "core.encode_1MB_cpu_ms",
        "core.verify_cpu_ms",
    }
    for entry in noise["metrics"].values():
        assert entry["runs"] == 6 and entry["between_run_sd_log_median"] >= 0
        assert entry["aa_status"] in ("unchanged", "inconclusive", "improved", "regressed")
        assert entry["mde_median_pct"] > 0 and entry["session_sd_log_median"] >= stats.DEFAULT_SESSION_SD
        # Against a stored baseline the session term alone can put 10 % out of reach of any number of runs.
        assert entry["runs_for_10pct_median"] is None or entry["runs_for_10pct_median"] >= 3
    assert noise["false_alarms"] == [k for k, e in noise["metrics"].items() if e["aa_status"] == "regressed"]
    assert "calibrate: A/A" in done.stdout and "the median can reveal" in done.stdout
    report = hologram("report", "--no-collect", "--reports-dir", str(tmp_path / "reports"))
    assert report.returncode == 0, report.stderr[-2000:]
    index = (tmp_path / "reports" / "index.html").read_text()
    assert 'id="noise"' in index and "core.encode_1MB_ms" in index.split('id="noise"')[1]


def ab(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {"HOLOGRAM_TARGET": "mycodec:codec", "PYTHONPATH": str(repo), **(env or {})}
    return hologram("ab", *args, "--perf-dir", str(repo / "perf"), env=full_env, cwd=repo)


def test_ab_catches_a_slower_head_in_interleaved_runs_and_the_gate_fails(codec_repo: Path) -> None:
    done = ab(codec_repo, "--base", "main", "--runs", "4", "--samples", "30")
    assert done.returncode == 1, done.stdout + done.stderr
    document = json.loads((codec_repo / "perf" / "ab.json").read_text())
    encode = document["metrics"]["core.encode_1MB_ms"]
    assert document["kind"] == "hologram-ab/1" and document["paired"] is True and document["runs_per_side"] == 4
    assert encode["status"] == "regressed" and encode["ratio"] == pytest.approx(2.0, rel=0.25)
    assert document["base"]["ref"] == "main" and document["head"]["ref"] == "working tree"
    assert worktrees(codec_repo) == worktrees(codec_repo)[:1]  # the base's worktree is gone
    verdict = hologram("verdict", "--perf-dir", str(codec_repo / "perf"), "--profile", "default", cwd=codec_repo)
    assert verdict.returncode == 1 and "regressed in the paired A/B vs main" in verdict.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--base", "no-such-ref"), "'no-such-ref': expected a commit, branch or tag"),
        (("--base", "main", "--runs", "2"), "at least 3 runs per side"),
        (("--base", "main", "--head", "main~5"), "'main~5': expected a commit"),
    ],
)
def test_ab_bad_refs_and_runs_are_exit_2(codec_repo: Path, args: tuple[str, ...], expected: str) -> None:
    done = ab(codec_repo, *args)
    assert done.returncode == 2 and expected in done.stderr and "Traceback" not in done.stderr
    assert len(worktrees(codec_repo)) == 1


def test_ab_base_that_does_not_build_is_exit_2_and_leaves_nothing(codec_repo: Path, tmp_path: Path) -> None:
    (codec_repo / "mycodec.py").write_text("raise RuntimeError('half-merged')\n")
    git(codec_repo, "commit", "-qam", "broken codec")
    (codec_repo / "mycodec.py").write_text(CODEC.format(delay=0.0))
    private_tmp = tmp_path / "tmp"  # the machine's /tmp holds other sessions' folders: look only at this run's
    private_tmp.mkdir()
    done = ab(codec_repo, "--base", "main", "--runs", "3", "--samples", "10", env={"TMPDIR": str(private_tmp)})
    assert done.returncode == 2, done.stdout + done.stderr
    assert "base main" in done.stderr and "RuntimeError: half-merged" in done.stderr
    assert len(worktrees(codec_repo)) == 1
    assert not list(private_tmp.glob("hologram-ab-*"))
    assert not (codec_repo / "perf" / "ab.json").exists()


def test_separate_sessions_need_more_evidence_than_interleaved_runs() -> None:
    """Two collects of ten tight runs each, 15 % apart: within one session that is a regression; between
    separate sessions (whose levels differ by ~5 % on this machine kind) it cannot be confirmed by more runs."""
    from hologram_lib import drift

    base = lognormal_runs(1.0, 0.1, 10, 100, 1, between=0.01)
    cur = lognormal_runs(1.15, 0.1, 10, 100, 2, between=0.01)
    assert drift.compare_runs(base, cur).status == "regressed"
    separate = drift.compare_runs(base, cur, session=drift.SEPARATE_SESSIONS)
    assert separate.status == "inconclusive" and separate.runs_needed is None
    assert "`hologram ab` (interleaved) can" in separate.note
    assert separate.ci_high / separate.ci_low > 1.5  # the session term widens the interval
    assert drift.compare_runs(base, [r * 1.6 for r in base], session=drift.SEPARATE_SESSIONS).status == "regressed"
    assert stats.runs_to_detect(0.05, 0.10, session_sd=0.05) is None
    assert stats.runs_to_detect(0.05, 0.10) == stats.runs_to_detect(0.05, 0.10, session_sd=0.0) >= 3
