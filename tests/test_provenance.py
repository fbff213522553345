"""Where a run came from: GitHub's variables win over git, git is asked in the working directory, and no git
repository (or no answer) is "unknown", never an error."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hologram_lib import machine, provenance
from hologram_lib.config import perf_knobs


def test_github_variables_win_over_git() -> None:
    env = {"GITHUB_SHA": "c" * 40, "GITHUB_HEAD_REF": "feature", "GITHUB_REF_NAME": "12/merge"}
    assert provenance.commit(env) == "c" * 40
    assert provenance.current_branch(env) == "feature"
    assert provenance.current_branch({"GITHUB_REF_NAME": "main"}) == "main"


def test_outside_a_repository_commit_and_branch_are_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))  # git must not find an enclosing repository
    assert provenance.git_output("rev-parse", "HEAD") is None
    assert provenance.commit({}) is None
    assert provenance.current_branch({}) is None


def test_in_a_repository_git_answers_and_a_failing_command_is_a_return_code(tmp_path: Path) -> None:
    def run(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    run("init", "-q", "-b", "trunk")
    run("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "first")
    head = provenance.git(tmp_path, "rev-parse", "HEAD")
    assert head.returncode == 0 and len(head.stdout.strip()) == 40
    assert provenance.git(tmp_path, "rev-parse", "--verify", "--quiet", "nope").returncode != 0


def test_the_provenance_record_names_commit_runner_profile_and_public_knobs() -> None:
    env = {"GITHUB_SHA": "a" * 40, "GITHUB_REF_NAME": "main", "RUNNER_NAME": "runner-7"}
    record = provenance.provenance("pr", perf_knobs(environ={}), env)
    assert record["commit"] == "a" * 40 and record["branch"] == "main" and record["runner"] == "runner-7"
    assert record["profile"] == "pr" and "GRAPHQL_TOKEN" not in str(record)


@pytest.mark.parametrize(
    ("env", "main_build"),
    [
        ({"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main"}, True),
        ({"GITHUB_EVENT_NAME": "schedule", "GITHUB_REF": "refs/heads/main"}, True),
        ({"GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF": "refs/heads/main"}, False),
        ({"GITHUB_REF": "refs/heads/main"}, False),  # a laptop on branch main
    ],
)
def test_only_a_ci_build_of_main_is_a_main_build(env: dict[str, str], main_build: bool) -> None:
    assert provenance.ci_main_build(env) is main_build


def test_the_machine_fingerprint_names_os_architecture_and_cpu_count() -> None:
    import os
    import platform

    print_ = machine.fingerprint()
    assert print_.startswith(f"{platform.system()} {platform.machine()} {os.cpu_count()}×")
    assert machine.runner_name({"RUNNER_NAME": "r1"}) == "r1"
