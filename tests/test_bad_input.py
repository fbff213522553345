"""Bad input: exit 2 with one line naming the file (and line) and what was expected; never a green gate."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import hologram

GOOD_HEADER = "suite,metric,sample_ms\n"


@pytest.mark.parametrize(
    ("content", "line", "expected"),
    [
        ("", 1, "empty file"),
        ("suite,metric,value\ncore,verify_ms,1.0\n", 1, "missing sample_ms"),
        (GOOD_HEADER + "core,verify_ms,1.0\ncore,verify_ms\n", 3, "expected 3 fields"),
        (GOOD_HEADER + "core,verify_ms,fast\n", 2, "sample_ms: expected a non-negative number"),
        (GOOD_HEADER + "core,verify_ms,-1\n", 2, "sample_ms: expected a non-negative number"),
        (GOOD_HEADER + "core,verify_ms,1\ncore,verify_ms,nan\n", 3, "sample_ms: expected a non-negative number"),
        (GOOD_HEADER + ",verify_ms,1\n", 2, "expected suite and metric names"),
        (GOOD_HEADER + "core,verify_ms,１\n", 2, "sample_ms: expected a non-negative number"),  # full-width
        (GOOD_HEADER + "core,verify_ms,1_0\n", 2, "sample_ms: expected a non-negative number"),
        (GOOD_HEADER + "core,veri\x00fy_ms,1\n", 2, "expected suite and metric names"),
        (GOOD_HEADER + "core," + "m" * 10_000 + ",1\n", 2, "expected suite and metric names"),
        (GOOD_HEADER + 'core,verify_ms,"1\ncore,verify_ms,2\n', 3, "sample_ms: expected"),  # unterminated quote
    ],
)
def test_malformed_samples_csv(tmp_path: Path, content: str, line: int, expected: str) -> None:
    samples = tmp_path / "perf" / "samples" / "core.csv"
    samples.parent.mkdir(parents=True)
    samples.write_text(content)
    before = samples.read_bytes()
    done = hologram("gate", "--perf-dir", str(tmp_path / "perf"))
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert f"{samples}:{line}: " in lines[0] and expected in lines[0]
    assert samples.read_bytes() == before  # nothing a command reads is modified


def test_malformed_summary_csv(tmp_path: Path) -> None:
    perf_dir = tmp_path / "perf"
    perf_dir.mkdir()
    (perf_dir / "core_perf.csv").write_text(
        "suite,metric,p50_ms,p95_ms,p99_ms,avg_ms,n,note\ncore,verify_ms,1,x,3,1,60,\n"
    )
    done = hologram("gate", "--perf-dir", str(perf_dir))
    assert done.returncode == 2
    assert f"{perf_dir / 'core_perf.csv'}:2: p95_ms: expected a non-negative number" in done.stderr


def test_non_utf8_file(tmp_path: Path) -> None:
    perf_dir = tmp_path / "perf"
    perf_dir.mkdir()
    (perf_dir / "core_perf.csv").write_bytes(b"\xff\xfe\x00garbage")
    done = hologram("gate", "--perf-dir", str(perf_dir))
    assert done.returncode == 2 and "expected UTF-8 CSV text" in done.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"schema": "hologram-baseline/2", "metrics": {', "expected JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"core.verify_ms": 0}', "a 0 ms baseline cannot be compared"),
        ('{"core.verify_ms": "fast"}', "expected a positive p95"),
        ('{"schema": "hologram-baseline/9", "metrics": {}}', "unknown baseline schema"),
        (
            '{"schema": "hologram-baseline/2", "metrics": {"core.verify_ms": {"p95_ms": 1, "samples": [1, -2]}}}',
            "expected samples as a list of non-negative numbers",
        ),
        ("{}", "expected at least one metric"),
        ('{"core.verify_ms": 1e999}', "expected a positive p95"),
        ('{"core.verify_ms": ' + "9" * 401 + "}", "expected a positive p95"),
        ("[" * 100_000 + "]" * 100_000, "nested or sized beyond reason"),
        ('{"schema": "hologram-baseline/3", "metrics": {"core.verify_ms": {}}}', "expected runs as a non-empty list"),
        (
            '{"schema": "hologram-baseline/3", "metrics": {"core.verify_ms": {"p95_ms": 1, "n": "x", "runs": [[1]]}}}',
            "expected n as a whole number of samples, got 'x'",
        ),
        (
            '{"schema": "hologram-baseline/3", "metrics": {"core.verify_ms": {"p95_ms": 1, "runs": [[1], []]}}}',
            "expected run 2 as a list of non-negative numbers (not empty)",
        ),
        (
            '{"schema": "hologram-baseline/3", "metrics": {"core.verify_ms": {"p95_ms": 5, "runs": [[1, 2], [1]]}}}',
            "p95_ms 5 contradicts its own samples",
        ),
    ],
)
def test_bad_baseline(
    make_perf_dir: Callable[..., Path], healthy_metrics: dict[str, object], tmp_path: Path, content: str, expected: str
) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text(content)
    done = hologram(
        "baseline", "compare", "--perf-dir", str(make_perf_dir(healthy_metrics)), "--baseline", str(baseline)
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and str(baseline) in done.stderr and expected in done.stderr


def test_missing_baseline_says_what_to_run(
    make_perf_dir: Callable[..., Path], healthy_metrics: dict[str, object], tmp_path: Path
) -> None:
    done = hologram(
        "baseline",
        "compare",
        "--perf-dir",
        str(make_perf_dir(healthy_metrics)),
        "--baseline",
        str(tmp_path / "nope.json"),
    )
    assert done.returncode == 2
    assert "no baseline found" in done.stderr and "hologram baseline promote" in done.stderr


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["gate", "--budgets", "missing.toml"], {}, "cannot read budgets file"),
        (["gate"], {"SLO_ENCODE_P95_MS": "-5"}, "SLO_ENCODE_P95_MS: expected a positive number"),
        (["baseline", "compare", "--threshold-pct", "0"], {}, "--threshold-pct: expected a positive number"),
        (["baseline", "compare"], {"REGRESSION_THRESHOLD_PCT": "ten"}, "REGRESSION_THRESHOLD_PCT: expected"),
        (["perf", "collect", "--suite", "core"], {"ENC_MB": "0"}, "ENC_MB: expected a positive integer"),
        (["perf", "collect", "--suite", "core"], {"HOLOGRAM_TARGET": "no.such.module:codec"}, "HOLOGRAM_TARGET"),
    ],
)
def test_bad_settings(tmp_path: Path, args: list[str], env: dict[str, str], expected: str) -> None:
    done = hologram(*args, "--perf-dir", str(tmp_path / "perf"), env=env, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert expected in done.stderr and "Traceback" not in done.stderr


def test_usage_error_is_exit_2() -> None:
    done = hologram("perf", "collect", "--samples", "-3")
    assert done.returncode == 2 and "expected a positive integer" in done.stderr


def test_an_encode_size_beyond_memory_is_refused(tmp_path: Path) -> None:
    done = hologram("perf", "collect", "--suite", "core", "--perf-dir", str(tmp_path), env={"ENC_MB": "10000"})
    assert done.returncode == 2 and "ENC_MB: expected at most 256" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "samples").exists()


@pytest.mark.parametrize("timeout", ["-1", "nan", "0", "inf"])
def test_probe_timeout_must_be_a_positive_number(tmp_path: Path, timeout: str) -> None:
    done = hologram("e2e", "probe", "--events", str(tmp_path / "e.jsonl"), "--timeout", timeout)
    assert done.returncode == 2 and "expected a positive number of seconds" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "e.jsonl").exists()


@pytest.mark.parametrize("where", ["a directory", "under a file"])
def test_promote_to_an_impossible_path_is_exit_2(
    make_perf_dir: Callable[..., Path], healthy_metrics: dict[str, object], tmp_path: Path, where: str
) -> None:
    blocker = tmp_path / "blocker"
    if where == "a directory":
        blocker.mkdir()
        target = blocker
    else:
        blocker.write_text("x")
        target = blocker / "baseline.json"
    done = hologram(
        "baseline", "promote", "--perf-dir", str(make_perf_dir(healthy_metrics)), "--baseline", str(target),
        "--force",
    )  # fmt: skip
    assert done.returncode == 2 and "cannot write the baseline" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "def encode(d):\n    raise ValueError('no')\ndef verify(s):\n    return True\n",
            "encode/verify raised ValueError",
        ),
        ("raise ImportError('half-installed')\n", "expected package.module:object importable here"),
        ("raise RuntimeError('boom')\n", "importing it raised RuntimeError: boom"),
    ],
)
def test_a_broken_target_is_exit_2(tmp_path: Path, body: str, expected: str) -> None:
    (tmp_path / "brokencodec.py").write_text(body)
    done = hologram(
        "perf", "collect", "--suite", "core", "--runs", "1", "--perf-dir", str(tmp_path / "perf"),
        env={"HOLOGRAM_TARGET": "brokencodec", "PYTHONPATH": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 2 and expected in done.stderr and "Traceback" not in done.stderr


def test_summary_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    import subprocess
    import sys

    events = tmp_path / "events.jsonl"
    run = '{"ts":"t","run_id":"r","suite":"phase8","event":"run_end","status":"ok","last_ok":"x"}\n'
    events.write_text("garbage\n" * 20_000 + run)  # 20,000 problem lines: far more than a pipe holds
    command = f"{sys.executable} -m hologram_lib.cli e2e summary --events {events} | head -1"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, check=False)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
    assert done.stdout.count("\n") == 1


def test_a_utf8_bom_is_read_as_text_not_as_a_missing_column(tmp_path: Path) -> None:
    samples = tmp_path / "perf" / "samples" / "core.csv"
    samples.parent.mkdir(parents=True)
    samples.write_text("\ufeff" + GOOD_HEADER + "core,verify_ms,1\n")
    done = hologram("gate", "--perf-dir", str(tmp_path / "perf"))
    assert "core.verify_ms: p95 1.000 ms" in done.stdout and "missing suite" not in done.stderr
