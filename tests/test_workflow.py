"""The GitHub Actions workflow: actionlint and zizmor (offline) find nothing, and the defects the upstream workflow
had must not come back."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import ROOT, run_command

WORKFLOW = ROOT / ".github" / "workflows" / "reports.yml"
BIN = Path(sys.executable).parent
MAIN_PUSH = "github.event_name == 'push' && github.ref == 'refs/heads/main'"


def load() -> dict:
    document = yaml.safe_load(WORKFLOW.read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as True
    return document


def steps(job: str = "report") -> list[dict]:
    return load()["jobs"][job]["steps"]


def step(job: str, needle: str) -> dict:
    return next(s for s in steps(job) if needle in s.get("run", "") or needle in str(s.get("uses", "")))


def all_steps() -> list[dict]:
    return [s for job in load()["jobs"] for s in steps(job)]


def test_actionlint_finds_nothing() -> None:
    done = run_command([str(BIN / "actionlint"), str(WORKFLOW)])
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_finds_nothing_at_low_severity() -> None:
    done = run_command([str(BIN / "zizmor"), "--offline", "--min-severity", "low", str(WORKFLOW)])
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_does_audit_offline(tmp_path: Path) -> None:
    """The clean result above means something: the same run flags an unpinned, credential-keeping checkout."""
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n")
    done = run_command([str(BIN / "zizmor"), "--offline", "--min-severity", "low", str(bad)])
    assert done.returncode != 0 and "unpinned-uses" in done.stdout and "artipacked" in done.stdout


def test_every_action_is_pinned_to_a_commit_with_its_release_in_a_comment() -> None:
    uses = re.findall(r"uses: (\S+)(.*)", WORKFLOW.read_text())
    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"actions/[\w/-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+", comment), (action, comment)


def test_checkout_keeps_no_credentials_and_permissions_are_per_job() -> None:
    document = load()
    assert document["permissions"] == {}
    for name, job in document["jobs"].items():
        expected = {"contents": "read", "pull-requests": "write"} if name == "comment" else None
        assert job["permissions"] == (expected or {"contents": "read", "actions": "read"}), name
        checkout = step(name, "actions/checkout")
        assert checkout["with"]["persist-credentials"] is False


def test_the_pr_comment_job_alone_may_write_to_prs_runs_on_prs_after_the_report_and_skips_forks() -> None:
    document = load()
    job = document["jobs"]["comment"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}  # nothing else
    assert [name for name, j in document["jobs"].items() if "pull-requests" in j["permissions"]] == ["comment"]
    assert job["needs"] == "report" and job["if"] == "!cancelled() && github.event_name == 'pull_request'"
    fork = "github.event.pull_request.head.repo.full_name != github.repository"
    said = next(s for s in job["steps"] if s.get("if") == fork)
    assert "fork" in said["run"] and "job summary" in said["run"]
    same = fork.replace("!=", "==")
    others = [s for s in job["steps"] if s is not said]
    assert others and all(s.get("if") == same for s in others)  # a fork PR runs nothing but the message
    download = step("comment", "actions/download-artifact")
    assert download["with"] == {"name": "hologram-report", "path": "reports/"}  # what the report job uploads
    post = step("comment", "hologram comment")
    assert post["run"] == ".venv/bin/hologram comment" and post["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}


def test_secrets_only_in_the_env_of_the_steps_that_need_them() -> None:
    document = load()
    assert "secrets." not in str(document.get("env")) and all(
        "secrets." not in str(j.get("env")) for j in document["jobs"].values()
    )
    for each in all_steps():
        assert "secrets." not in str(each.get("if", "")) + each.get("run", "") + str(each.get("with", ""))
    notify = step("report", "scripts/ci_outputs.py")
    assert notify["env"] == {
        "SLACK_WEBHOOK_URL": "${{ secrets.SLACK_WEBHOOK_URL }}",
        "TEAMS_WEBHOOK_URL": "${{ secrets.TEAMS_WEBHOOK_URL }}",
    }


def test_triggers_pr_main_and_a_distinct_nightly_job() -> None:
    document = load()
    triggers = document["on"]
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"] and triggers["schedule"]
    assert document["jobs"]["report"]["if"] == "github.event_name != 'schedule'"
    assert document["jobs"]["nightly"]["if"] == "github.event_name == 'schedule'"
    nightly = [s.get("run", "") for s in steps("nightly")]
    assert ".venv/bin/hologram calibrate --runs 15" in nightly and "make report" in nightly
    assert load()["jobs"]["nightly"]["env"]["HOLOGRAM_PROFILE"] == "nightly"  # its budgets and 30 runs per suite
    cold = step("nightly", "perf collect")
    assert cold["env"] == {"COLD": "1"}  # the seed's second Phase 6 section → reports/perf/cache_profiles.json


@pytest.mark.parametrize("job", ["report", "nightly"])
def test_the_gate_is_hard_and_the_report_always_uploaded(job: str) -> None:
    gate = step(job, "make gate")
    assert "continue-on-error" not in gate and "if" not in gate
    assert not any("|| true" in s.get("run", "") for s in steps(job))
    upload = next(s for s in steps(job) if s.get("with", {}).get("path") == "reports/")
    assert upload["if"] == "always()" and upload["with"]["retention-days"] <= 14
    outputs = step(job, "scripts/ci_outputs.py")
    assert outputs["if"] == "always()"
    names = [s.get("name") for s in steps(job)]
    assert names.index(outputs["name"]) > names.index(gate["name"])  # notify runs after the gate


def test_every_artifact_is_kept_at_most_14_days() -> None:
    uploads = [s for s in all_steps() if "upload-artifact" in str(s.get("uses"))]
    assert len(uploads) == 4 and all(1 <= s["with"]["retention-days"] <= 14 for s in uploads)


def test_python_matches_the_project() -> None:
    for job in ("report", "nightly"):
        assert step(job, "actions/setup-python")["with"]["python-version"] == "3.11"


def test_baseline_promoted_on_main_after_the_gate_fetched_from_the_newest_main_push() -> None:
    names = [s.get("name") for s in steps()]
    promote = step("report", "baseline promote")
    assert names.index(promote["name"]) > names.index("Gate (budgets, drift, E2E)")
    assert promote["if"] == MAIN_PUSH and "cp reports/perf/baseline.json .history/baseline.json" in promote["run"]
    upload = next(s for s in steps() if s.get("with", {}).get("name") == "perf-baseline")
    assert upload["if"] == MAIN_PUSH
    fetch = step("report", "scripts/ci_fetch_baseline.sh")
    assert fetch["if"] == "github.event_name == 'pull_request'" and fetch["env"] == {"GH_TOKEN": "${{ github.token }}"}
    script = (ROOT / "scripts" / "ci_fetch_baseline.sh").read_text()
    assert 'head_branch == "main"' in script and "expired == false" in script and "no baseline yet" in script


def test_history_cache_restored_by_branch_falling_back_to_main_and_saved_on_main_pushes_only() -> None:
    restore = step("report", "actions/cache/restore")
    assert restore["with"]["path"] == ".history/"
    assert restore["with"]["restore-keys"].splitlines() == [
        "hologram-history-${{ github.head_ref || github.ref_name }}-",
        "hologram-history-main-",
    ]
    names = [s.get("name") for s in steps()]
    assert names.index(restore["name"]) < names.index("Collect and render the report")
    saves = [s for s in steps("report") if "actions/cache/save" in str(s.get("uses"))]
    assert len(saves) == 1 and MAIN_PUSH in saves[0]["if"] and "${{ github.run_id }}" in saves[0]["with"]["key"]
    assert not any("fail-on-cache-miss" in str(s.get("with")) for s in all_steps())


def test_prs_run_a_paired_a_b_against_the_merge_base_before_the_report() -> None:
    names = [s.get("name") for s in steps()]
    assert step("report", "actions/checkout")["with"]["fetch-depth"] == 0
    ab = step("report", "scripts/ci_ab.sh")
    assert ab["if"] == "github.event_name == 'pull_request'" and ab["run"] == 'scripts/ci_ab.sh "origin/$BASE_REF"'
    assert ab["env"]["BASE_REF"] == "${{ github.base_ref }}"  # never interpolated into the script itself
    assert names.index(ab["name"]) < names.index("Collect and render the report")
    script = (ROOT / "scripts" / "ci_ab.sh").read_text()
    assert 'git merge-base HEAD "$base_ref"' in script and '--base "$merge_base"' in script


def run_ab_script(tmp_path: Path, exit_code: int, base: str = "main") -> tuple[int, str]:
    """scripts/ci_ab.sh in a scratch git repo whose .venv/bin/hologram is a stand-in exiting with `exit_code`."""
    repo = tmp_path / "repo"
    (repo / ".venv" / "bin").mkdir(parents=True)
    fake = repo / ".venv" / "bin" / "hologram"
    fake.write_text(f'#!/bin/sh\necho "hologram $*"\nexit {exit_code}\n')
    fake.chmod(0o755)
    for command in (["init", "-q", "-b", "main"], ["commit", "-q", "--allow-empty", "-m", "x"]):
        done = run_command(["git", "-c", "user.name=t", "-c", "user.email=t@t", *command], cwd=repo)
        assert done.returncode == 0, done.stderr
    done = run_command(["bash", str(ROOT / "scripts" / "ci_ab.sh"), base], cwd=repo)
    return done.returncode, done.stdout


@pytest.mark.parametrize(("ab_exit", "script_exit"), [(0, 0), (1, 0), (2, 2), (3, 3), (4, 4)])
def test_ab_script_leaves_a_regression_to_the_gate_and_stops_on_bad_input(
    tmp_path: Path, ab_exit: int, script_exit: int
) -> None:
    code, out = run_ab_script(tmp_path, ab_exit)
    assert code == script_exit and "against its merge base" in out and "hologram ab --base " in out


def test_ab_script_without_a_merge_base_says_what_drift_is_judged_from(tmp_path: Path) -> None:
    code, out = run_ab_script(tmp_path, 0, base="origin/nowhere")
    assert code == 0 and "paired A/B skipped" in out and "main baseline" in out


FAKE_GH = """#!/bin/sh
# A stand-in for the GitHub CLI: `gh api` prints FAKE_RUN_ID (or fails), `gh run download` writes a baseline.
case "$1" in
  api) [ -n "$FAKE_API_FAILS" ] && exit 1; echo "$FAKE_RUN_ID" ;;
  run) [ -n "$FAKE_DOWNLOAD_FAILS" ] && exit 1; echo '{"from": "artifact"}' > "$7/baseline.json" ;;
esac
"""


@pytest.mark.parametrize(
    ("fake", "cached", "expected", "content"),
    [
        ({"FAKE_RUN_ID": "4242"}, True, "perf-baseline artifact of run 4242", "artifact"),
        ({"FAKE_RUN_ID": ""}, True, "the history cache", "cache"),
        ({"FAKE_RUN_ID": "4242", "FAKE_DOWNLOAD_FAILS": "1"}, True, "the history cache", "cache"),  # expired
        ({"FAKE_API_FAILS": "1"}, False, "no baseline yet", None),
        ({"FAKE_RUN_ID": ""}, False, "no baseline yet", None),
    ],
)
def test_fetch_baseline_artifact_then_history_cache_then_a_note(
    tmp_path: Path, fake: dict[str, str], cached: bool, expected: str, content: str | None
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(FAKE_GH)
    (bin_dir / "gh").chmod(0o755)
    if cached:
        (tmp_path / ".history").mkdir()
        (tmp_path / ".history" / "baseline.json").write_text('{"from": "cache"}')
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "GITHUB_REPOSITORY": "o/r", **fake}
    done = run_command(["bash", str(ROOT / "scripts" / "ci_fetch_baseline.sh")], env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert expected in done.stdout
    assert expected in (tmp_path / "reports" / "perf" / "baseline_source.txt").read_text()
    baseline = tmp_path / "reports" / "perf" / "baseline.json"
    if content is None:
        assert not baseline.exists()
    else:
        assert f'"from": "{content}"' in baseline.read_text()


# --- CI keeps its memory (issue 20) --------------------------------------------------------------------------------


def test_only_pull_requests_cancel_their_older_runs() -> None:
    concurrency = load()["concurrency"]
    assert concurrency["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"
    assert "github.sha" in concurrency["group"]  # two pushes to main are two groups: neither waits nor cancels


def test_pip_and_npm_caches_are_keyed_on_the_lock_files() -> None:
    for job in ("report", "nightly"):
        python = step(job, "actions/setup-python")["with"]
        node = step(job, "actions/setup-node")["with"]
        assert python["cache"] == "pip" and (ROOT / python["cache-dependency-path"]).is_file()
        assert node["cache"] == "npm" and node["cache-dependency-path"].endswith("package-lock.json")
        assert (ROOT / node["cache-dependency-path"]).is_file()


def test_the_nightly_saves_the_store_and_main_exports_it_as_an_artifact() -> None:
    save = step("nightly", "actions/cache/save")
    assert save["with"] == {"path": ".history/", "key": "hologram-history-main-${{ github.run_id }}"}
    names = [s.get("name") for s in steps("nightly")]
    assert names.index(save["name"]) > names.index("Collect and render the report (nightly profile, 30 runs per suite)")
    export = step("report", "hologram history export")
    upload = next(s for s in steps() if s.get("with", {}).get("name") == "hologram-history")
    assert MAIN_PUSH in export["if"] and MAIN_PUSH in upload["if"]
    assert export["run"].endswith("--out history-export") and upload["with"]["path"] == "history-export/"
    for job in ("report", "nightly"):
        restore = step(job, "scripts/ci_restore_history.sh")
        job_names = [s.get("name") for s in steps(job)]
        assert job_names.index(restore["name"]) < job_names.index(step(job, "make report")["name"])


def test_a_lost_cache_is_restored_from_the_export_zip(tmp_path: Path) -> None:
    """The restore path, end to end with a local zip: a store → its Parquet export (as main uploads it) → a zip (as
    the artifact downloads) → scripts/ci_restore_history.sh in a checkout whose cache was lost → the same runs."""
    import shutil
    import zipfile

    from hologram_lib.history.series import green_main_runs, read_series
    from tests.helpers import history_run, store_with

    original = store_with(tmp_path / "original", [history_run(f"g{i}", 10.0, i) for i in range(4)])
    done = run_command([str(BIN / "hologram"), "history", "export", "--store", str(original), "--out",
                        str(tmp_path / "history-export")])  # fmt: skip
    assert done.returncode == 0, done.stderr
    artifact = tmp_path / "hologram-history.zip"
    with zipfile.ZipFile(artifact, "w") as archive:
        for path in (tmp_path / "history-export").rglob("*"):
            archive.write(path, path.relative_to(tmp_path / "history-export"))
    checkout = tmp_path / "checkout"
    (checkout / ".venv").mkdir(parents=True)
    (checkout / ".venv" / "bin").symlink_to(BIN)
    shutil.copy(ROOT / "scripts" / "ci_restore_history.sh", checkout / "restore.sh")
    env = {"HOLOGRAM_HISTORY_ZIP": str(artifact), "HOLOGRAM_HISTORY": ".history/history.duckdb"}
    done = run_command(["bash", "restore.sh"], env=env, cwd=checkout)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "history: restored .history/history.duckdb from" in done.stdout
    restored = checkout / ".history" / "history.duckdb"
    assert read_series(restored)["core.verify_ms"].run_ids == read_series(original)["core.verify_ms"].run_ids
    assert green_main_runs(restored, 10).run_ids == green_main_runs(original, 10).run_ids  # still green main
    again = run_command(["bash", "restore.sh"], env=env, cwd=checkout)
    assert again.returncode == 0 and "the cache restored" in again.stdout  # a restored cache is left alone
