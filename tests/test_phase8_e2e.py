"""The seed's `pytest -m phase8_e2e`: the probe against IPFS_API / GRAPHQL_URL when set (a real deployment),
else against the embedded stack, checked with the seed's verification checklist."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hologram_lib import config, credentials
from hologram_lib.e2e.probe import Probe
from tests.helpers import stack_token

pytestmark = [pytest.mark.phase8_e2e, pytest.mark.stack]  # the `stack` fixture, asked for at run time


@pytest.fixture
def settings(request: pytest.FixtureRequest) -> config.ProbeSettings:
    if os.environ.get("IPFS_API") and os.environ.get("GRAPHQL_URL"):
        return credentials.probe_settings()
    info = request.getfixturevalue("stack")
    env = {"IPFS_API": info.ipfs_api, "GRAPHQL_URL": info.graphql_url, "GRAPHQL_TOKEN": stack_token(info)}
    return credentials.probe_settings(environ=env)


def test_events_satisfy_the_seed_checklist(settings: config.ProbeSettings) -> None:
    events_path = Path(os.environ.get("HOLOGRAM_EVENTS", config.DEFAULT_EVENTS))
    result = Probe(settings, events_path).run()
    assert result.status == "ok", f"{result.failed_step}: {result.error}"
    run = [json.loads(line) for line in events_path.read_text().splitlines()]
    run = [e for e in run if e["run_id"] == result.run_id]
    ok = {e["event"]: e for e in run if e["status"] == "ok"}
    assert ok["ipfs_publish"]["cid"]
    assert ok["marketplace_publish"]["cid"] == ok["ipfs_publish"]["cid"]
    assert ok["resolve"]["encoding"]
    if "search" in ok:
        assert ok["search"]["hit"] is True
