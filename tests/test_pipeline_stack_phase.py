"""The report's `stack` phase enters the services' context once and leaves it once (a generator's context entered a
second time stopped every `hologram report` with AttributeError before it collected anything)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hologram_lib import pipeline


def test_the_stack_phase_hands_over_the_configured_services_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IPFS_API", "http://127.0.0.1:9/api/v0")  # both set: nothing is started
    monkeypatch.setenv("GRAPHQL_URL", "http://127.0.0.1:9/graphql")
    said = io.StringIO()
    request = pipeline.ReportRequest(reports_dir=tmp_path / "reports", state_dir=tmp_path / "stack")
    with pipeline._stack_phase(request, pipeline.Phases(said)) as env:
        assert env["IPFS_API"] == "http://127.0.0.1:9/api/v0"
        assert env["GRAPHQL_URL"] == "http://127.0.0.1:9/graphql"
    assert said.getvalue().startswith("phase stack: ")
    assert "(IPFS_API / GRAPHQL_URL as set)" in said.getvalue()
