"""The three notebooks: structure, parameters, a papermill run each on fixture data, and failures."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

from hologram_lib.report import params
from tests.helpers import ROOT, hologram, run_command, stack_token

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_every_notebook_is_known() -> None:
    assert sorted(p.stem for p in NOTEBOOKS) == sorted(params.NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_structure(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "hologram"  # the project venv's kernel (`hologram kernel`)
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "outputs must be stripped"
    declared = {line.split("=")[0].strip(): line for line in tagged[0].source.splitlines() if "=" in line}
    typed = {name.split(":")[0]: name.split(":")[1].strip() for name in declared}
    assert typed == {name: kind.__name__ for name, (kind, _) in params.SPECS[path.stem].items()}
    assert all("#" in line for line in declared.values()), "every parameter carries a comment"
    assert params.PATH_PARAMETERS & set(typed) <= {n for n, (k, _) in params.SPECS[path.stem].items() if k is str}


def test_papermill_help_notebook_lists_the_parameters() -> None:
    done = run_command(
        [
            str(Path(sys.executable).with_name("papermill")),
            "--help-notebook",
            str(ROOT / "notebooks" / "perf_analysis.ipynb"),
        ]
    )
    assert done.returncode == 0, done.stderr
    assert "Unknown type" not in done.stdout
    for name, (kind, _) in params.SPECS["perf_analysis"].items():
        assert f"{name}: {kind.__name__} (default" in done.stdout


def render(reports: Path, *extra: str):
    """`hologram report --no-collect` in its own process (kernels and their sockets live and die there)."""
    return hologram("report", "--no-collect", "--reports-dir", str(reports), *extra)


@pytest.mark.notebook
def test_each_notebook_runs_on_fixture_data(report_dir: Path) -> None:
    done = render(report_dir)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "failed" not in done.stdout
    perf = json.loads((report_dir / "perf_analysis.json").read_text())
    assert perf["kind"] == "hologram-gate/1" and perf["passed"] is True
    drift = json.loads((report_dir / "baseline_drift.json").read_text())
    assert drift["kind"] == "hologram-drift/2" and drift["passed"] is False  # the fixture regressed verify
    e2e = json.loads((report_dir / "e2e_probe.json").read_text())
    assert e2e["latest_run"]["status"] == "ok"
    page = (report_dir / "perf_analysis.html").read_text()
    assert "<img" in page and "data:image/png;base64" in page and "core.verify_ms" in page
    assert "svg" not in page.lower().split("<img")[1][:200]
    assert (report_dir / "notebooks" / "perf_analysis.ipynb").exists()
    assert not list((report_dir / "notebooks").glob(".*running*"))


@pytest.mark.notebook
def test_papermill_from_a_plain_shell_with_a_yaml_file(report_dir: Path, tmp_path: Path) -> None:
    yaml = tmp_path / "params.yaml"
    yaml.write_text(
        f"perf_dir: {report_dir / 'perf'}\nout_json: {tmp_path / 'out.json'}\nprofile: main\necdf_points: 100\n"
    )
    done = run_command(
        [
            str(Path(sys.executable).with_name("papermill")),
            str(ROOT / "notebooks" / "perf_analysis.ipynb"),
            str(tmp_path / "out.ipynb"),
            "-f",
            str(yaml),
            "-k",
            "python3",
        ],
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads((tmp_path / "out.json").read_text())["profile"] == "main"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-p", "ecdf_points", "many"], "parameter ecdf_points expected int, got 'many'"),
        (["-p", "ecdf_pionts", "100"], "unknown parameter ecdf_pionts"),
    ],
)
def test_papermill_bad_parameters_fail_clearly(tmp_path: Path, args: list[str], expected: str) -> None:
    done = run_command(
        [
            str(Path(sys.executable).with_name("papermill")),
            str(ROOT / "notebooks" / "perf_analysis.ipynb"),
            str(tmp_path / "out.ipynb"),
            *args,
            "-p",
            "out_json",
            str(tmp_path / "x.json"),
            "-k",
            "python3",
        ],
        cwd=ROOT,
    )
    assert done.returncode != 0
    assert "ParameterError" in done.stderr and expected in done.stderr
    assert not (tmp_path / "x.json").exists()  # failed before any work


@pytest.mark.notebook
def test_a_failing_notebook_still_gets_a_page(report_dir: Path) -> None:
    (report_dir / "perf" / "samples" / "core.csv").write_text("suite,metric,sample_ms\ncore,verify_ms,fast\n")
    done = render(report_dir)
    assert done.returncode == 2, done.stdout + done.stderr[-2000:]  # the index needs the same data: bad input
    assert "core.csv:2" in done.stderr
    page = (report_dir / "perf_analysis.html").read_text()
    assert "This notebook failed: InputError in cell" in page and "core.csv:2" in page
    assert (report_dir / "notebooks" / "perf_analysis.failed.ipynb").exists()
    assert not (report_dir / "notebooks" / "perf_analysis.ipynb").exists()
    index = (report_dir / "index.html").read_text()
    assert "Verdict: could not judge" in index and "core.csv:2" in index and not (report_dir / "verdict.json").exists()


@pytest.mark.notebook
def test_missing_everything_still_renders(tmp_path: Path) -> None:
    empty = tmp_path / "reports"
    done = render(empty)
    assert done.returncode == 0 and "failed" not in done.stdout, done.stdout + done.stderr[-2000:]
    assert "verdict: FAIL" in done.stdout  # budgeted metrics are missing
    index = (empty / "index.html").read_text()
    assert "No perf data" in index and "No E2E events" in index and "hologram perf collect" in index
    assert "No perf data" in (empty / "perf_analysis.html").read_text()
    assert "No comparison" in (empty / "baseline_drift.html").read_text()
    assert "No E2E data" in (empty / "e2e_probe.html").read_text()


def test_bad_report_parameter_fails_before_any_work(tmp_path: Path) -> None:
    done = render(tmp_path / "reports", "-p", "perf_analysis.ecdf_points=lots")
    assert done.returncode == 2
    assert "perf_analysis: parameter ecdf_points expected int, got 'lots'" in done.stderr
    assert not (tmp_path / "reports").exists()
    unknown = render(tmp_path / "reports", "-p", "perf_analysis.nope=1")
    assert unknown.returncode == 2 and "unknown parameter nope" in unknown.stderr


@pytest.mark.notebook
def test_cold_vs_warm_table_when_profiles_exist(report_dir: Path) -> None:
    profiles = {
        "core.verify_ms": {
            "cold_p50_ms": 0.05,
            "cold_p95_ms": 0.1,
            "warm_p50_ms": 0.02,
            "warm_p95_ms": 0.025,
            "ratio": 4.0,
        }
    }
    (report_dir / "perf" / "cache_profiles.json").write_text(json.dumps(profiles))
    assert render(report_dir).returncode == 0
    page = (report_dir / "perf_analysis.html").read_text()
    assert "cold p95 ms" in page and "<td>4.0</td>" in page.replace(" ", "")


@pytest.mark.notebook
def test_report_without_a_working_stack_still_renders_and_fails(tmp_path: Path) -> None:
    """No usable Kubo (HOLOGRAM_KUBO names none): the stack cannot start, the core suite still runs and the report is
    written — and the verdict is FAIL in every profile: the services were meant to be probed and were not (not a
    'skip')."""
    reports, state = tmp_path / "reports", tmp_path / "state"
    for profile in ("pr", "default"):
        env = {"HOLOGRAM_KUBO": str(tmp_path / "no-kubo"), "HOLOGRAM_RUNS": "3", "HOLOGRAM_PROFILE": profile}
        done = hologram("report", "--reports-dir", str(reports), "--state-dir", str(state), env=env)
        assert done.returncode == 0, done.stdout + done.stderr[-2000:]
        assert "problem: the embedded stack did not start" in done.stdout
        assert re.search(r"^phase stack: [0-9.]+ s \(stopped: .*Kubo", done.stderr, re.M), done.stderr
        assert re.search(r"^phase collect: [0-9.]+ s \(core suite only: the embedded stack", done.stderr, re.M)
        assert "verdict: FAIL" in done.stdout and "graphql.resolve_ms missing: the embedded stack did not start" in (
            done.stdout
        )
        assert "E2E run" in done.stdout and "failed at preflight" in done.stdout
        assert (reports / "perf" / "core_perf.csv").exists()
        assert "Verdict: FAIL" in (reports / "index.html").read_text()
        assert json.loads((reports / "verdict.json").read_text())["passed"] is False
        verdict = hologram(
            "verdict", "--perf-dir", str(reports / "perf"), "--events", str(reports / "e2e" / "events.jsonl"), env=env
        )
        assert verdict.returncode == 1


@pytest.mark.notebook
def test_a_report_that_dies_late_leaves_no_stale_pass(report_dir: Path) -> None:
    assert render(report_dir).returncode == 0
    assert (
        "Verdict: PASS" in (report_dir / "index.html").read_text()
        or "Verdict: FAIL" in (report_dir / "index.html").read_text()
    )
    (report_dir / "perf" / "baseline.json").write_text('{"schema": "x"}')
    done = render(report_dir)
    assert done.returncode == 2 and "unknown baseline schema" in done.stderr
    index = (report_dir / "index.html").read_text()
    assert "Verdict: could not judge" in index and "unknown baseline schema" in index and "PASS" not in index


@pytest.mark.notebook
def test_notebooks_show_the_one_verdict_and_never_re_decide_it(report_dir: Path) -> None:
    """-p baseline_drift.threshold_pct=50 explores; the page still heads with the report's verdict (FAIL: the
    fixture regressed verify by 43 % against the runner's 10 % threshold)."""
    done = render(report_dir, "-p", "baseline_drift.threshold_pct=50")
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    verdict = json.loads((report_dir / "verdict.json").read_text())
    assert verdict["kind"] == "hologram-verdict/2" and verdict["passed"] is False
    assert json.loads((report_dir / "baseline_drift.json").read_text())["passed"] is True  # the exploration
    for name in ("perf_analysis", "baseline_drift", "e2e_probe"):
        page = (report_dir / f"{name}.html").read_text()
        assert "Verdict of this report: FAIL" in page, name
        assert "exploration, not the gate" in page, name
    hologram(
        "verdict", "--perf-dir", str(report_dir / "perf"), "--events", str(report_dir / "e2e" / "events.jsonl"),
        "--json", str(report_dir / "gate-verdict.json"),
    )  # fmt: skip
    assert json.loads((report_dir / "gate-verdict.json").read_text()) == verdict  # one writer, one verdict


@pytest.mark.notebook
def test_report_against_running_services_collects_probes_and_says_each_phase(stack, tmp_path: Path) -> None:
    """The whole `hologram report` against services given by IPFS_API / GRAPHQL_URL (the session's stack): every
    phase, from the services to the pages, says its line; the services are left running."""
    env = {
        "IPFS_API": stack.ipfs_api,
        "GRAPHQL_URL": stack.graphql_url,
        "GRAPHQL_TOKEN": stack_token(stack),
        "HOLOGRAM_RUNS": "3",
        "HOLOGRAM_MEASURE": "wall",
    }
    done = hologram("report", "--reports-dir", str(tmp_path / "reports"), "--state-dir", str(tmp_path / "s"), env=env)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    phases = [line.split(":")[0] for line in done.stderr.splitlines() if re.match(r"phase [\w ]+: [0-9.]+ s", line)]
    assert phases[:5] == [f"phase {name}" for name in ("stack", "collect", "probe", "judge", "record")], done.stderr
    assert all(name.startswith("phase notebook ") for name in phases[5:8])
    assert "phase stack: " in done.stderr and "(IPFS_API / GRAPHQL_URL as set)" in done.stderr
    assert re.search(r"^phase probe: [0-9.]+ s \(every step ok\)$", done.stderr, re.M), done.stderr
    assert phases[-1] == "phase pages" and (tmp_path / "reports" / "e2e" / "events.jsonl").is_file()
    assert not (tmp_path / "s").exists()  # nothing started: the given services served the run


@pytest.mark.notebook
def test_the_notebooks_leave_the_process_where_they_found_it(report_dir: Path, tmp_path: Path) -> None:
    """Papermill moves the process into the checkout while a notebook runs, and back to where *that* run found it:
    three runs overlapping could leave it in the checkout, where the report's relative paths (its folder, the history
    store) would then land. After `run_all` the process is where it was, and the pages are in the asked folder."""
    # Its own process (the kernels' sockets and event loops live and die there), with the runs staggered so that they
    # overlap the way that leaves the process in the checkout: a later run starts inside an earlier one's chdir and
    # ends after it.
    script = f"""
import os, time
from pathlib import Path
from hologram_lib.report import render

run_notebook, order = render.run_notebook, {list(params.NOTEBOOKS)!r}
def staggered(name, *args, **kwargs):
    time.sleep(0.5 * order.index(name))
    return run_notebook(name, *args, **kwargs)
render.run_notebook = staggered
runs = render.run_all(Path({str(ROOT)!r}), Path("reports"))
print("failed:", [run.error for run in runs if not run.ok])
print("cwd:", os.getcwd())
"""
    done = run_command([sys.executable, "-c", script], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines()[-2:] == ["failed: []", f"cwd: {tmp_path}"], done.stdout
    assert all((report_dir / f"{name}.html").is_file() for name in params.NOTEBOOKS)


@pytest.mark.notebook
def test_report_from_another_folder_runs_the_checkouts_notebooks_and_says_each_phase(
    report_dir: Path, tmp_path: Path
) -> None:
    """`hologram report` started outside the checkout, with a reports folder relative to where it was started, still
    runs the checkout's notebooks into that folder, and says each phase with its duration on stderr, in the
    pipeline's order (stdout keeps the verdict)."""
    assert report_dir == tmp_path / "reports"
    done = hologram("report", "--no-collect", "--reports-dir", "reports", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "failed" not in done.stdout, done.stdout
    for name in params.NOTEBOOKS:
        assert "This notebook failed" not in (report_dir / f"{name}.html").read_text()
    phases = [line.split(":")[0] for line in done.stderr.splitlines() if re.match(r"phase [\w ]+: [0-9.]+ s", line)]
    notebooks = sorted(phases[2:5])
    assert phases[:2] == ["phase judge", "phase record"] and phases[5:] == ["phase pages"], done.stderr
    assert notebooks == sorted(f"phase notebook {name}" for name in params.NOTEBOOKS)
    assert "phase" not in done.stdout


@pytest.mark.notebook
def test_papermill_from_any_cwd_reads_and_writes_under_the_project_root(report_dir: Path, tmp_path: Path) -> None:
    """Relative paths are the project root's: papermill with --cwd notebooks (where JupyterLab puts a kernel) and
    papermill from a folder outside the project give the same gate as `hologram gate` on the same files."""
    import shutil

    relative = f"reports/test-run/notebooks-{tmp_path.name}"
    shutil.copytree(report_dir, ROOT / relative)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    try:
        expected = hologram("gate", "--perf-dir", f"{relative}/perf", "--json", str(tmp_path / "cli.json"))
        gates = []
        for name, extra, cwd in (("a", ["--cwd", "notebooks"], ROOT), ("b", [], elsewhere)):
            done = run_command(
                [
                    str(Path(sys.executable).with_name("papermill")),
                    str(ROOT / "notebooks" / "perf_analysis.ipynb"),
                    str(tmp_path / f"{name}.ipynb"),
                    *["-p", "perf_dir", f"{relative}/perf", "-p", "out_json", f"{relative}/{name}.json"],
                    *["-p", "ecdf_points", "50", *extra],
                ],
                cwd=cwd,
            )
            assert done.returncode == 0, done.stderr[-2000:]
            gates.append(json.loads((ROOT / relative / f"{name}.json").read_text()))
        assert gates[0] == gates[1] == json.loads((tmp_path / "cli.json").read_text())
        assert expected.returncode == 0 and gates[0]["passed"] is True
        assert not (ROOT / "notebooks" / "reports").exists() and not (elsewhere / "reports").exists()
    finally:
        shutil.rmtree(ROOT / relative, ignore_errors=True)


def test_first_cell_says_what_to_run_when_the_package_is_not_importable(tmp_path: Path) -> None:
    notebook = nbformat.read(ROOT / "notebooks" / "perf_analysis.ipynb", as_version=4)
    first = next(c for c in notebook.cells if c.cell_type == "code").source
    plain_python = first.split("%matplotlib")[0]  # the import guard runs before any magic or third-party import
    done = run_command([sys.executable, "-I", "-S", "-c", plain_python], cwd=tmp_path)  # -S: no site-packages
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: hologram_lib is not importable by ")
    assert "run `make lab`" in last and "-k hologram" in last
