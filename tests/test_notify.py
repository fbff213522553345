"""`hologram notify slack|teams` against a local HTTP receiver standing in for the webhooks (the one third-party
service that cannot run here): payload shapes, redaction, and a webhook that fails, times out or is absent — reported,
never failing the build, never showing the URL."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import hologram
from tests.http_server import serving

SECRET_PATH = "/services/T0SECRET/B0SECRET/xoxSecretWebhookPath"
TOKEN = "tok-0123456789abcdef"


@contextmanager
def receiver(status: int = 200, delay_s: float = 0.0) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A webhook stand-in: records each POST (path, headers, JSON body) and answers `status` after `delay_s`."""
    received: list[dict[str, Any]] = []

    def answer(path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        received.append({"path": path, "headers": headers, "json": json.loads(body)})
        time.sleep(delay_s)
        echo = json.dumps({"error": "invalid_payload", "url": path}).encode()  # some services echo the URL back
        return status, b"ok" if status < 300 else echo

    with serving(answer) as base:
        yield base + SECRET_PATH, received


def leaky_report(report_dir: Path) -> Path:
    """The fixture report whose latest E2E run failed with the GraphQL token in its error (written raw, as a buggy
    producer could): every payload must still come out redacted."""
    with (report_dir / "e2e" / "events.jsonl").open("a") as log:
        record = {
            "ts": "2026-11-27T05:00:00.000Z",
            "run_id": "run-2",
            "suite": "phase8",
            "event": "run_end",
            "status": "fail",
            "duration_ms": 1.0,
            "last_ok": "preflight",
            "failed_step": "marketplace_publish",
            "error": f"401 for token {TOKEN}",
        }
        log.write(json.dumps(record) + "\n")
    return report_dir


def notify(channel: str, reports: Path, url: str | None, *extra: str):
    env = {"GRAPHQL_TOKEN": TOKEN}
    if url is not None:
        env[f"{channel.upper()}_WEBHOOK_URL"] = url
    return hologram("notify", channel, "--reports-dir", str(reports), *extra, env=env)


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert "SECRET" not in text and "xoxSecret" not in text and TOKEN not in text


def test_slack_block_kit_with_verdict_p95s_and_the_latest_deployment(report_dir: Path) -> None:
    reports = leaky_report(report_dir)
    with receiver() as (url, received):
        done = notify("slack", reports, url)
    assert done.returncode == 0, done.stderr
    assert "notify slack: sent: HTTP 200" in done.stdout
    assert len(received) == 1 and received[0]["path"] == SECRET_PATH
    assert received[0]["headers"]["Content-Type"].startswith("application/json")
    payload = received[0]["json"]
    assert set(payload) == {"text", "blocks"} and payload["text"].startswith("Hologram Pipeline: FAIL")
    header, why, fields, context = payload["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Hologram Pipeline: FAIL (profile default)"},
    }
    assert why["type"] == "section" and why["text"]["type"] == "mrkdwn"
    assert "marketplace_publish" in why["text"]["text"] and "[REDACTED]" in why["text"]["text"]
    assert fields["type"] == "section" and 1 <= len(fields["fields"]) <= 10
    assert all(f["type"] == "mrkdwn" and "budget" in f["text"] for f in fields["fields"])
    assert any(f["text"].startswith("*core.verify_ms*\np95 ") for f in fields["fields"])
    assert context["type"] == "context" and "demo/app/hello-x → bafkreiabc" in context["elements"][0]["text"]
    assert len(header["text"]["text"]) <= 150 and len(why["text"]["text"]) <= 3000
    written = (reports / "notify" / "slack.json").read_text()
    assert json.loads(written) == payload
    assert_no_secret(json.dumps(payload), written, done.stdout, done.stderr)


def test_teams_adaptive_card_for_a_workflows_webhook(report_dir: Path) -> None:
    reports = leaky_report(report_dir)
    env_run = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/h", "GITHUB_RUN_ID": "7"}
    with receiver(status=202) as (url, received):
        done = hologram(
            "notify",
            "teams",
            "--reports-dir",
            str(reports),
            env={"TEAMS_WEBHOOK_URL": url, "GRAPHQL_TOKEN": TOKEN, **env_run},
        )
    assert done.returncode == 0 and "notify teams: sent: HTTP 202" in done.stdout, done.stderr
    payload = received[0]["json"]
    assert payload["type"] == "message" and len(payload["attachments"]) == 1
    attachment = payload["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive" and attachment["contentUrl"] is None
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4" and card["$schema"].startswith("http")
    kinds = [block["type"] for block in card["body"]]
    assert kinds == ["TextBlock", "TextBlock", "FactSet", "TextBlock"]
    assert card["body"][0]["color"] == "Attention" and card["body"][0]["text"].startswith("Hologram Pipeline: FAIL")
    assert all(set(fact) == {"title", "value"} for fact in card["body"][2]["facts"])
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Run and artifacts", "url": "https://github.com/acme/h/actions/runs/7"}
    ]
    assert "bafkreiabc" in card["body"][3]["text"]
    assert_no_secret(json.dumps(payload), done.stdout, done.stderr)


def test_no_url_skips_with_a_note_and_still_writes_the_payload(report_dir: Path) -> None:
    done = notify("slack", report_dir, None)
    assert (
        done.returncode == 0 and "notify slack: skipped: SLACK_WEBHOOK_URL is not set (nothing posted)" in done.stdout
    )
    assert json.loads((report_dir / "notify" / "slack.json").read_text())["blocks"]


def test_dry_run_posts_nothing(report_dir: Path) -> None:
    with receiver() as (url, received):
        done = notify("teams", report_dir, url, "--dry-run")
    assert (
        done.returncode == 0 and received == [] and "dry run: nothing posted (TEAMS_WEBHOOK_URL is set)" in done.stdout
    )


@pytest.mark.parametrize("channel", ["slack", "teams"])
@pytest.mark.parametrize("status", [404, 500])
def test_an_http_error_is_reported_never_fatal_never_leaking_the_url(
    report_dir: Path, channel: str, status: int
) -> None:
    with receiver(status=status) as (url, received):
        done = notify(channel, report_dir, url)
    assert done.returncode == 0 and len(received) >= 1
    assert f"notify {channel}: failed: HTTP {status}" in done.stderr and "invalid_payload" in done.stderr
    assert_no_secret(done.stdout, done.stderr)


@pytest.mark.parametrize("channel", ["slack", "teams"])
def test_a_slow_webhook_times_out_and_is_reported(report_dir: Path, channel: str) -> None:
    with receiver(delay_s=5.0) as (url, _):
        start = time.monotonic()
        done = notify(channel, report_dir, url, "--timeout", "1")
        took = time.monotonic() - start
    assert done.returncode == 0 and took < 5.0 + 4.0  # the CLI's start-up plus at most one retry of 1 s
    assert f"notify {channel}: failed: webhook unreachable or too slow" in done.stderr
    assert_no_secret(done.stdout, done.stderr)


@pytest.mark.parametrize("channel", ["slack", "teams"])
def test_an_unreachable_webhook_is_reported(report_dir: Path, channel: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the socket is closed
    done = notify(channel, report_dir, f"http://127.0.0.1:{port}{SECRET_PATH}")
    assert done.returncode == 0 and f"notify {channel}: failed: webhook unreachable" in done.stderr
    assert_no_secret(done.stdout, done.stderr)


def test_a_url_that_is_not_http_is_refused_without_being_shown(report_dir: Path) -> None:
    done = notify("slack", report_dir, "file:///etc/passwd#xoxSecretWebhookPath")
    assert done.returncode == 0 and "SLACK_WEBHOOK_URL is not an http(s) URL" in done.stderr
    assert_no_secret(done.stdout, done.stderr)


@pytest.mark.parametrize("channel", ["slack", "teams"])
def test_a_url_that_does_not_parse_is_reported_without_being_shown(report_dir: Path, channel: str) -> None:
    done = notify(channel, report_dir, f"http://[::1{SECRET_PATH}")
    assert done.returncode == 0 and f"notify {channel}: failed: webhook unreachable" in done.stderr
    assert "Traceback" not in done.stderr
    assert_no_secret(done.stdout, done.stderr, (report_dir / "notify" / f"{channel}.json").read_text())


def test_a_report_that_cannot_be_judged_is_still_told_and_exits_2(report_dir: Path) -> None:
    (report_dir / "perf" / "baseline.json").write_text("[]")
    with receiver() as (url, received):
        done = notify("slack", report_dir, url)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "baseline.json" in done.stderr
    assert received[0]["json"]["blocks"][0]["text"]["text"] == "Hologram Pipeline: could not judge"
