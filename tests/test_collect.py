"""`perf collect`: the harness, the suites, adaptive extension and the files it writes."""

from __future__ import annotations

import gc
import io
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from hologram_lib import config
from hologram_lib.errors import SampleTimeout
from hologram_lib.perf import collect as collect_mod
from hologram_lib.perf.files import load_perf_dir
from hologram_lib.perf.harness import measure
from tests.graphql_server import RESOLVE_SDL, ResolveOnly, graphql_server
from tests.helpers import hologram, perf_collect


def test_measure_returns_ms_and_restores_gc() -> None:
    assert gc.isenabled()
    seen_gc: list[bool] = []
    samples = measure(lambda: seen_gc.append(gc.isenabled()) or time.sleep(0.002), 5, warmup=2)
    assert len(samples) == 5 and len(seen_gc) == 7
    assert seen_gc[2:] == [False] * 5  # disabled during the timed batch
    assert gc.isenabled()
    assert (samples >= 2.0).all() and (samples < 1000).all()


def test_measure_timeout_aborts_and_restores_gc() -> None:
    with pytest.raises(SampleTimeout, match=r"over the 0\.001 s timeout"):
        measure(lambda: time.sleep(0.01), 3, timeout_s=0.001)
    assert gc.isenabled()


def lognormal_runner(log: list[str], sigma_between: float = 0.05) -> collect_mod.Runner:
    """A run source for the scheduling logic: every request logged, samples drawn like a real process's."""
    rng = np.random.default_rng(3)

    def run(request: collect_mod.RunRequest) -> collect_mod.RunResult:
        log.append(request.suite)
        shift = sigma_between * rng.standard_normal()
        names = {"core": ["encode_1MB_ms", "verify_ms"], "graphql": ["resolve_ms"], "ipfs": ["add_ms", "cat_ms"]}
        metrics = {m: np.exp(shift + 0.1 * rng.standard_normal(request.samples)) for m in names[request.suite]}
        return collect_mod.RunResult(metrics, None, 0.3, 0.2)

    return run


def test_runs_are_interleaved_and_inconclusive_budgets_add_runs_not_samples() -> None:
    knobs = config.perf_knobs(50, environ={"GRAPHQL_URL": "http://127.0.0.1:1/graphql", "IPFS_API": "http://x"})
    settings = config.gate_settings("default", environ={})
    log: list[str] = []
    progress = collect_mod.Progress(io.StringIO())
    state = collect_mod.measure_suites(
        ["core", "graphql", "ipfs"], knobs, replace(settings, runs=3, budgets={}), lognormal_runner(log), progress
    )
    assert log == ["core", "graphql", "ipfs"] * 3  # round-robin, not all runs of one suite back to back
    assert [len(s.runs) for s in state] == [3, 3, 3]
    assert all(len(run) == 50 for s in state for result in s.results() for run in result.runs or ())
    # A budget 3 % above the true p95 of the pooled runs cannot be settled by 3 runs: more runs, up to max_runs.
    tight = replace(settings, runs=3, max_runs=8, budgets={"core.verify_ms": float(np.exp(0.1 * 1.6449) * 1.03)})
    log.clear()
    state = collect_mod.measure_suites(["core"], knobs, tight, lognormal_runner(log), progress)
    assert len(state[0].runs) == 8 == len(log)
    assert "a budget is inconclusive at 3 runs" in progress.stream.getvalue()


def test_a_suite_that_fails_in_a_run_records_the_error_and_stops() -> None:
    knobs = config.perf_knobs(20, environ={})
    calls: list[str] = []

    def run(request: collect_mod.RunRequest) -> collect_mod.RunResult:
        calls.append(request.suite)
        if len(calls) == 2:
            return collect_mod.RunResult(error="the target raised ValueError: boom")
        return collect_mod.RunResult({"encode_1MB_ms": np.ones(20), "verify_ms": np.ones(20)}, None, 0.2, 0.1)

    settings = replace(config.gate_settings("default", environ={}), runs=4, budgets={})
    state = collect_mod.measure_suites(["core"], knobs, settings, run, collect_mod.Progress(io.StringIO()))
    assert calls == ["core", "core"]
    assert [r.note for r in state[0].results()] == ["error: the target raised ValueError: boom"] * 2


def test_collect_core_writes_samples_and_summary(tmp_path: Path) -> None:
    perf_dir = tmp_path / "perf"
    done = perf_collect(
        perf_dir, "core", samples=80, env={"ENC_MB": "1", "SLO_VERIFY_P95_MS": "1000", "SLO_ENCODE_P95_MS": "1000"}
    )
    assert done.returncode == 0, done.stderr
    metrics = load_perf_dir(perf_dir)
    assert set(metrics) == {"core.encode_1MB_ms", "core.verify_ms", "core.encode_1MB_cpu_ms", "core.verify_cpu_ms"}
    assert all(m.n == 240 and m.run_count == 3 and (m.samples > 0).all() for m in metrics.values())
    assert all(len(run) == 80 for m in metrics.values() for run in m.runs)
    header = (perf_dir / "core_perf.csv").read_text().splitlines()[0]
    assert header.startswith("suite,metric,p50_ms,p95_ms,p99_ms,avg_ms,n,note,runs,p95_ci_low_ms,p95_ci_high_ms")
    assert (
        (perf_dir / "samples" / "core.csv").read_text().startswith("suite,metric,run,sample_ms\ncore,encode_1MB_ms,1,")
    )
    assert "core.verify_ms: 3 runs, n=240" in done.stderr  # plain progress lines without a terminal
    assert "core: 3 runs, " in done.stdout and "ms start-up per run" in done.stdout
    assert "\r" not in done.stderr


def test_skipped_suites_record_their_reason(tmp_path: Path) -> None:
    perf_dir = tmp_path / "perf"
    done = perf_collect(perf_dir, "graphql", "ipfs")
    assert done.returncode == 0, done.stderr
    metrics = load_perf_dir(perf_dir)
    assert metrics["graphql.resolve_ms"].skip_reason == "GRAPHQL_URL is not set"
    assert metrics["ipfs.add_ms"].skip_reason == "IPFS_API is not set"
    assert "graphql: skipped (GRAPHQL_URL is not set)" in done.stderr


def test_graphql_suite_measures_resolve_over_http(tmp_path: Path) -> None:
    perf_dir = tmp_path / "perf"
    with graphql_server(RESOLVE_SDL, ResolveOnly({"demo/object/alpha": '{"scheme":"atlas-12288"}'})) as url:
        done = perf_collect(
            perf_dir,
            "graphql",
            runs=2,
            env={"GRAPHQL_URL": url, "GQL_SAMPLES": "90", "GQL_WARMUP": "3", "SLO_GQL_P95_MS": "5000"},
        )
    assert done.returncode == 0, done.stderr
    resolve = load_perf_dir(perf_dir)["graphql.resolve_ms"]
    assert resolve.n == 180 and resolve.run_count == 2 and resolve.skip_reason is None


def test_graphql_errors_are_recorded_and_fail_the_gate(tmp_path: Path) -> None:
    perf_dir = tmp_path / "perf"
    with graphql_server(RESOLVE_SDL, ResolveOnly({})) as url:
        done = perf_collect(perf_dir, "graphql", env={"GRAPHQL_URL": url, "GRAPHQL_TEST_NAME": "demo/none"})
    assert done.returncode == 3  # could not run: the suite errored
    resolve = load_perf_dir(perf_dir)["graphql.resolve_ms"]
    assert resolve.error is not None and "no object named demo/none" in resolve.error
    gate = hologram("gate", "--perf-dir", str(perf_dir), "--profile", "pr")
    assert gate.returncode == 1 and "MISSING" in gate.stdout


def test_unreachable_graphql_is_an_error_not_a_skip(tmp_path: Path) -> None:
    perf_dir = tmp_path / "perf"
    done = perf_collect(perf_dir, "graphql", env={"GRAPHQL_URL": "http://127.0.0.1:9/graphql"})
    assert done.returncode == 3
    assert "unreachable" in load_perf_dir(perf_dir)["graphql.resolve_ms"].error


def test_a_users_own_target_plugs_in(tmp_path: Path) -> None:
    (tmp_path / "mycodec.py").write_text(
        "class Codec:\n"
        "    def encode(self, data):\n        return bytes(data)\n"
        "    def verify(self, state):\n        return isinstance(state, bytes)\n"
        "codec = Codec()\n"
    )
    perf_dir = tmp_path / "perf"
    done = perf_collect(
        perf_dir, "core", samples=75, env={"HOLOGRAM_TARGET": "mycodec:codec", "PYTHONPATH": str(tmp_path)}
    )
    assert done.returncode == 0, done.stderr
    assert load_perf_dir(perf_dir)["core.verify_ms"].n >= 75


def test_target_whose_verify_rejects_its_own_encoding_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "badcodec.py").write_text("def encode(d):\n    return d\ndef verify(s):\n    return False\n")
    perf_dir = tmp_path / "perf"
    done = perf_collect(perf_dir, "core", env={"HOLOGRAM_TARGET": "badcodec", "PYTHONPATH": str(tmp_path)})
    assert done.returncode == 3
    assert "rejects the state" in load_perf_dir(perf_dir)["core.verify_ms"].error


def test_profile_budgets_reach_collect() -> None:
    settings = config.gate_settings("main", environ={})
    assert settings.budget_for("core.encode_2MB_ms") == 80.0
    assert settings.budget_for("ipfs.add_ms") is None


def test_progress_bar_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    progress = collect_mod.Progress(Terminal())
    progress.update("core.verify_ms", 100, 200)
    progress.line("done")
    assert (
        "\r  core.verify_ms" in progress.stream.getvalue()
        and "[##########..........] run 100/200" in progress.stream.getvalue()
    )


def test_cold_profile_goes_beside_the_warm_data_and_is_compared(stack, tmp_path: Path) -> None:
    perf_dir = tmp_path / "perf"
    env = {"GRAPHQL_URL": stack.graphql_url, "IPFS_API": stack.ipfs_api}
    assert perf_collect(perf_dir, "core", "graphql", samples=80, env=env).returncode == 0
    gate_before = hologram("gate", "--perf-dir", str(perf_dir), "--json", str(tmp_path / "before.json"))
    cold = perf_collect(perf_dir, "core", "graphql", samples=80, env={**env, "COLD": "1"})
    assert cold.returncode == 0, cold.stderr
    profiles = json.loads((perf_dir / "cache_profiles.json").read_text())
    core = {"core.encode_1MB_ms", "core.verify_ms", "core.encode_1MB_cpu_ms", "core.verify_cpu_ms"}
    assert set(profiles) == {*core, "graphql.resolve_ms"}
    for entry in profiles.values():
        assert entry["cold_p95_ms"] > 0 and entry["warm_p95_ms"] > 0
        assert entry["ratio"] == pytest.approx(entry["cold_p95_ms"] / entry["warm_p95_ms"], rel=1e-2)
    assert load_perf_dir(perf_dir / "cold")["core.verify_ms"].n == 240
    hologram("gate", "--perf-dir", str(perf_dir), "--json", str(tmp_path / "after.json"))
    before, after = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("before", "after"))
    assert before == after and gate_before.returncode == 0  # the gate never reads the cold profile
