"""The E2E probe's fault matrix: the right step fails, the log names it, exit 1, no line lost or torn."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hologram_lib import config
from hologram_lib.e2e.probe import Probe
from hologram_lib.perf.files import load_perf_dir
from tests.fake_marketplace import ALT_SDL, STANDARD_SDL, FakeMarket
from tests.graphql_server import graphql_server
from tests.helpers import ROOT, VERDICT_ENV, hologram, stack_token
from tests.http_server import serving

DEAD = "http://127.0.0.1:9"


def probe(
    tmp_path: Path, ipfs_api: str | None, graphql_url: str | None, token: str | None = None, timeout: str = "5"
) -> tuple[subprocess.CompletedProcess, list[dict]]:
    env = {k: v for k, v in {"IPFS_API": ipfs_api, "GRAPHQL_URL": graphql_url, "GRAPHQL_TOKEN": token}.items() if v}
    events = tmp_path / "events.jsonl"
    done = hologram(
        "e2e", "probe", "--events", str(events), "--perf-dir", str(tmp_path / "perf"), "--timeout", timeout, env=env
    )
    lines = events.read_text().splitlines() if events.exists() else []
    return done, [json.loads(line) for line in lines]  # every line must be whole JSON


def assert_failed_at(done: subprocess.CompletedProcess, events: list[dict], step: str, reason: str) -> dict:
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"at {step}" in done.stdout
    failed = [e for e in events if e["status"] == "fail" and e["event"] != "run_end"]
    assert [e["event"] for e in failed] == [step]
    assert reason in failed[0]["error"], failed[0]["error"]
    end = events[-1]
    assert end["event"] == "run_end" and end["status"] == "fail" and end["failed_step"] == step
    assert len({e["run_id"] for e in events}) == 1
    return end


def test_reference_stack_passes_and_records_latencies(stack, tmp_path: Path) -> None:
    done, events = probe(tmp_path, stack.ipfs_api, stack.graphql_url, stack_token(stack))
    assert done.returncode == 0, done.stdout + done.stderr
    by_event = {e["event"]: e for e in events}
    assert by_event["marketplace_publish"]["cid"] == by_event["ipfs_publish"]["cid"]
    assert by_event["resolve"]["proofs"] == "verified" and by_event["resolve"]["encoding"]
    assert by_event["search"]["hit"] is True
    assert by_event["run_end"]["last_ok"] == "unpin"
    assert all(e["ts"].endswith("Z") and len(e["ts"]) == 24 for e in events)  # millisecond UTC
    latencies = load_perf_dir(tmp_path / "perf")
    assert latencies["e2e.resolve_ms"].n == 1 and latencies["e2e.ipfs_publish_ms"].p95_ms > 0
    probe(tmp_path, stack.ipfs_api, stack.graphql_url, stack_token(stack))
    assert load_perf_dir(tmp_path / "perf")["e2e.resolve_ms"].n == 2  # runs accumulate


def test_services_absent_is_a_recorded_skip(tmp_path: Path) -> None:
    done, events = probe(tmp_path, None, None)
    assert done.returncode == 0 and "SKIP" in done.stdout
    assert [(e["event"], e["status"]) for e in events] == [("preflight", "skip"), ("run_end", "skip")]
    assert events[0]["reason"] == "IPFS_API and GRAPHQL_URL not set: no services to probe"


def test_ipfs_down_before_the_run(stack, tmp_path: Path) -> None:
    done, events = probe(tmp_path, DEAD, stack.graphql_url, stack_token(stack))
    end = assert_failed_at(done, events, "preflight", "IPFS version unreachable")
    assert end["last_ok"] is None


def test_graphql_down(stack, tmp_path: Path) -> None:
    done, events = probe(tmp_path, stack.ipfs_api, f"{DEAD}/graphql")
    assert_failed_at(done, events, "preflight", "GraphQL unreachable")


def failing_add(path: str, _headers: dict[str, str], _body: bytes) -> tuple[int, bytes]:
    """A Kubo-RPC lookalike: `version` answers, `add` fails with HTTP 500 as a full disk would."""
    if path.startswith("/api/v0/version"):
        return 200, json.dumps({"Version": "0.0-fault"}).encode()
    return 500, json.dumps({"Message": "no space left", "Code": 0}).encode()


def test_ipfs_answering_500_on_add(stack, tmp_path: Path) -> None:
    with serving(failing_add) as api:
        done, events = probe(tmp_path, api, stack.graphql_url, stack_token(stack))
    end = assert_failed_at(done, events, "ipfs_publish", "HTTP 500: no space left")
    assert end["last_ok"] == "manifest"


@pytest.mark.parametrize("introspection", [True, False])
def test_business_error_on_publish_is_not_masked(stack, tmp_path: Path, introspection: bool) -> None:
    market = FakeMarket(stack.ipfs_api, "publish_error")
    with graphql_server(STANDARD_SDL, market, introspection) as url:
        done, events = probe(tmp_path, stack.ipfs_api, url)
    assert_failed_at(done, events, "marketplace_publish", "quota exceeded")
    assert market.calls["publishApp"] == 1 and market.calls["marketplacePublish"] == 0


def test_hanging_server_times_out(stack, tmp_path: Path) -> None:
    with graphql_server(STANDARD_SDL, FakeMarket(stack.ipfs_api, "hang_publish")) as url:
        start = time.monotonic()
        done, events = probe(tmp_path, stack.ipfs_api, url, timeout="1")
        elapsed = time.monotonic() - start
    assert_failed_at(done, events, "marketplace_publish", "did not answer within 1 s")
    publish = next(e for e in events if e["event"] == "marketplace_publish")
    assert 900 <= publish["duration_ms"] < 3000
    assert elapsed < 4.5


@pytest.mark.parametrize(
    ("fault", "reason"),
    [("wrong_cid", "resolve returned cid bafkreihdwdc"), ("wrong_root", "Merkle root does not match")],
)
def test_resolve_that_lies_fails_resolve(stack, tmp_path: Path, fault: str, reason: str) -> None:
    with graphql_server(STANDARD_SDL, FakeMarket(stack.ipfs_api, fault)) as url:
        done, events = probe(tmp_path, stack.ipfs_api, url)
    end = assert_failed_at(done, events, "resolve", reason)
    assert end["last_ok"] == "install"


def test_introspection_disabled_with_other_operation_names_passes(stack, tmp_path: Path) -> None:
    market = FakeMarket(stack.ipfs_api)
    with graphql_server(ALT_SDL, market, introspection=False) as url:
        done, events = probe(tmp_path, stack.ipfs_api, url)
    assert done.returncode == 0, done.stdout + done.stderr
    by_event = {e["event"]: e for e in events}
    assert by_event["preflight"]["introspection"] == "off"
    assert by_event["marketplace_publish"]["operation"] == "marketplacePublish"
    assert by_event["install"]["operation"] == "installByCid"
    assert by_event["search"]["status"] == "skip"
    assert by_event["uninstall"]["operation"] == "appsUninstall"
    assert market.calls == {"marketplacePublish": 1, "installByCid": 1, "appsUninstall": 1}


def test_token_never_reaches_events_or_output(stack, tmp_path: Path) -> None:
    token = "s3cr3t-token-value-1234567890"
    with graphql_server(STANDARD_SDL, FakeMarket(stack.ipfs_api, "echo_token")) as url:
        done, events = probe(tmp_path, stack.ipfs_api, url, token=token)
    assert_failed_at(done, events, "marketplace_publish", "rejected credentials")
    written = (tmp_path / "events.jsonl").read_text() + done.stdout + done.stderr
    assert token not in written and "[REDACTED]" in written


def test_concurrent_probes_never_tear_a_line(stack, tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    env = {k: v for k, v in __import__("os").environ.items() if k not in VERDICT_ENV}
    env.update(IPFS_API=stack.ipfs_api, GRAPHQL_URL=stack.graphql_url, GRAPHQL_TOKEN=stack_token(stack))
    command = [
        sys.executable,
        "-m",
        "hologram_lib.cli",
        "e2e",
        "probe",
        "--events",
        str(events),
        "--perf-dir",
        str(tmp_path / "perf"),
    ]
    runs = [subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL) for _ in range(3)]
    assert [run.wait(timeout=120) for run in runs] == [0, 0, 0]
    records = [json.loads(line) for line in events.read_text().splitlines()]
    assert len(records) == 3 * 13
    assert sum(r["event"] == "run_end" and r["status"] == "ok" for r in records) == 3
    assert load_perf_dir(tmp_path / "perf")["e2e.resolve_ms"].n == 3


def test_a_bug_in_a_step_still_ends_the_log(tmp_path: Path) -> None:
    """An exception the probe does not expect is re-raised (a crash), but only after the log says where."""
    settings = config.probe_settings(environ={"IPFS_API": DEAD, "GRAPHQL_URL": DEAD, "GRAPHQL_TOKEN": "tok-12345"})
    events = tmp_path / "events.jsonl"
    probe_run = Probe(settings, events)

    def broken() -> dict:
        raise KeyError("tok-12345 was not expected")

    with pytest.raises(KeyError):
        probe_run._step("resolve", broken)
    records = [json.loads(line) for line in events.read_text().splitlines()]
    assert [(r["event"], r["status"]) for r in records] == [("resolve", "fail"), ("run_end", "fail")]
    assert records[-1]["failed_step"] == "resolve" and "internal error: KeyError" in records[-1]["error"]
    assert "tok-12345" not in events.read_text()
