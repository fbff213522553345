"""The GitHub Actions workflow: the defects the upstream workflow had must not come back.

(actionlint cannot be installed here — its PyPI package downloads a binary — so these are structural checks.)
"""

from __future__ import annotations

import yaml

from tests.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "reports.yml"


def load() -> dict:
    document = yaml.safe_load(WORKFLOW.read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as True
    return document


def steps() -> list[dict]:
    return load()["jobs"]["report"]["steps"]


def test_triggers_pr_main_and_nightly() -> None:
    triggers = load()["on"]
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"] and triggers["schedule"]


def test_the_gate_is_hard() -> None:
    gate = next(s for s in steps() if s.get("run", "").strip() == "make gate")
    assert "continue-on-error" not in gate and "if" not in gate
    assert not any("|| true" in s.get("run", "") for s in steps())


def test_no_secrets_in_conditions() -> None:
    for step in steps():
        assert "secrets." not in str(step.get("if", "")), step.get("name", step)


def test_python_matches_the_project() -> None:
    setup = next(s for s in steps() if str(s.get("uses", "")).startswith("actions/setup-python"))
    assert setup["with"]["python-version"] == "3.11"


def test_baseline_is_promoted_only_on_main_after_the_gate_and_downloaded_on_prs() -> None:
    names = [s.get("name", s.get("uses")) for s in steps()]
    promote = next(s for s in steps() if "baseline promote" in s.get("run", ""))
    assert names.index(promote["name"]) > names.index("Gate (budgets, drift, E2E)")
    assert "refs/heads/main" in promote["if"] and "push" in promote["if"]
    download = next(s for s in steps() if "gh run download" in s.get("run", ""))
    assert "pull_request" in download["if"]


def test_report_uploaded_even_when_red() -> None:
    upload = next(s for s in steps() if s.get("with", {}).get("name") == "hologram-report")
    assert upload["if"] == "always()" and upload["with"]["path"] == "reports/"


def test_prs_run_a_paired_a_b_before_the_report_and_nightly_calibrates() -> None:
    names = [s.get("name", s.get("uses")) for s in steps()]
    checkout = next(s for s in steps() if str(s.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    ab = next(s for s in steps() if "hologram ab" in s.get("run", ""))
    assert "pull_request" in ab["if"] and '--base "origin/$BASE_REF"' in ab["run"]
    assert ab["env"]["BASE_REF"] == "${{ github.base_ref }}"  # never interpolated into the script itself
    assert "[ $? -eq 1 ]" in ab["run"]  # a regression waits for the gate; bad input (exit 2) stops the job
    calibrate = next(s for s in steps() if "hologram calibrate" in s.get("run", ""))
    assert calibrate["if"] == "github.event_name == 'schedule'"
    report = names.index("Collect and render the report")
    assert names.index(ab["name"]) < report and names.index(calibrate["name"]) < report
