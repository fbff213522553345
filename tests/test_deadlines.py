"""Deadlines are per call, not per socket read: servers that answer one byte at a time (real loopback sockets) must
not hold a client, the probe or a webhook beyond its timeout; a webhook's redirect is not "sent", and its error body
does not carry the webhook's secret path back into the CI log."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hologram_lib.clients import GraphQLClient, IpfsClient
from hologram_lib.errors import ServiceError
from tests.helpers import hologram
from tests.trickle_server import trickling

SECRET_PATH = "/services/T0SECRET/B0SECRET/xoxSecretWebhookPath"


def test_a_trickling_graphql_answer_is_cut_at_the_calls_deadline() -> None:
    with trickling(gap_s=0.3) as base, GraphQLClient(base + "/graphql", timeout_s=1) as client:
        start = time.monotonic()
        with pytest.raises(ServiceError, match="did not answer within 1 s"):
            client.execute("{ __typename }")
        assert time.monotonic() - start < 2.0  # the whole answer would take 27 s


def test_a_trickling_ipfs_answer_is_cut_at_the_calls_deadline() -> None:
    answer = b'HTTP/1.1 200 OK\r\nContent-Length: 19\r\n\r\n{"Version":"0.1.0"}'
    with trickling(answer, gap_s=0.3) as base, IpfsClient(base, timeout_s=1) as client:
        start = time.monotonic()
        with pytest.raises(ServiceError, match="did not answer within 1 s"):
            client.version()
        assert time.monotonic() - start < 2.0


@pytest.mark.slow
def test_a_fast_answer_after_a_cut_one_still_works() -> None:
    """The watchdog cuts only the call that overran: the session goes on with a fresh connection."""
    with trickling(gap_s=0.001) as base, GraphQLClient(base + "/graphql", timeout_s=2) as client:
        assert client.execute("{ __typename }") == {"__typename": "Q"}
        time.sleep(2.2)  # past the first call's deadline: an armed watchdog must not cut the idle connection now
        assert client.execute("{ __typename }") == {"__typename": "Q"}


@pytest.mark.slow
def test_one_threads_deadline_does_not_cut_another_threads_call() -> None:
    """The marketplace calls its IPFS client from several threads: a slow call's deadline cuts only its own socket."""
    answer = b'HTTP/1.1 200 OK\r\nContent-Length: 19\r\n\r\n{"Version":"0.1.0"}'
    outcomes: list[str] = []
    with (
        trickling(answer, gap_s=0.3, fast_paths=(b"/api/v0/version?fast",)) as base,
        IpfsClient(base, timeout_s=1.5) as client,
    ):

        def slow() -> None:
            try:
                client.version()
            except ServiceError as exc:
                outcomes.append(str(exc))

        thread = threading.Thread(target=slow)
        thread.start()
        fast = []
        for _ in range(10):
            fast.append(client._object("version?fast")["Version"])
            time.sleep(0.25)
        thread.join(10)
    assert fast == ["0.1.0"] * 10
    assert outcomes == ["IPFS version did not answer within 1.5 s"]


def test_the_probe_against_trickling_services_ends_within_its_deadline(tmp_path: Path) -> None:
    """It took 82 s with a 2 s timeout."""
    with trickling(gap_s=0.5) as base:
        env = {"IPFS_API": base, "GRAPHQL_URL": base + "/graphql", "E2E_TIMEOUT_S": "2"}
        start = time.monotonic()
        done = hologram("e2e", "probe", "--events", str(tmp_path / "e.jsonl"), "--perf-dir", str(tmp_path), env=env)
        took = time.monotonic() - start
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert took < 20, f"the probe took {took:.0f} s"
    assert "did not answer within 2 s" in (tmp_path / "e.jsonl").read_text()


def _notify(channel: str, reports: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {f"{channel.upper()}_WEBHOOK_URL": url}
    return hologram("notify", channel, "--reports-dir", str(reports), *extra, env=env)


@pytest.mark.parametrize("channel", ["slack", "teams"])
def test_a_trickling_webhook_is_cut_at_the_notify_timeout_and_not_sent(report_dir: Path, channel: str) -> None:
    """It held `notify --timeout 2` for 42 s and then said "sent: HTTP 200"."""
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\nok" + b" " * 38
    with trickling(answer, gap_s=0.5) as base:
        start = time.monotonic()
        done = _notify(channel, report_dir, base + SECRET_PATH, "--timeout", "2")
        took = time.monotonic() - start
    assert done.returncode == 0 and f"notify {channel}: failed: webhook unreachable or too slow" in done.stderr
    assert "sent" not in done.stderr and took < 12, f"notify took {took:.0f} s"


@contextmanager
def _redirecting(status: int) -> Iterator[tuple[str, list[str]]]:
    """A webhook that answers `status` with a Location on the same server, whose target answers 200 to anything."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            hits.append(f"{self.command} {self.path}")
            moved = self.path.startswith("/services")
            self.send_response(status if moved else 200)
            if moved:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        do_POST = do_GET = _answer

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{SECRET_PATH}", hits
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("channel", ["slack", "teams"])
@pytest.mark.parametrize("status", [301, 302])
def test_a_redirecting_webhook_is_a_failure_not_sent(report_dir: Path, channel: str, status: int) -> None:
    with _redirecting(status) as (url, hits):
        done = _notify(channel, report_dir, url)
    assert done.returncode == 0 and f"notify {channel}: failed: HTTP {status}: a redirect" in done.stderr
    assert [hit.split()[1] for hit in hits] == [SECRET_PATH]  # the redirect was not followed


@pytest.mark.parametrize("channel", ["slack", "teams"])
@pytest.mark.parametrize(
    "echo",
    [
        "XOXSECRETWEBHOOKPATH",  # the last segment, upper-cased
        "no_service for B0SECRET%2FxoxSecretWebhookPath",  # percent-encoded
        "team t0secret not found",
    ],
)
def test_an_error_body_echoing_pieces_of_the_webhook_path_is_scrubbed(
    report_dir: Path, channel: str, echo: str
) -> None:
    from tests.http_server import serving

    with serving(lambda _p, _h, _b: (404, json.dumps({"error": echo}).encode())) as base:
        done = _notify(channel, report_dir, base + SECRET_PATH)
    assert done.returncode == 0 and f"notify {channel}: failed: HTTP 404" in done.stderr
    lowered = done.stderr.lower()
    assert "secret" not in lowered and "b0secret" not in lowered and "t0secret" not in lowered
