"""`hologram comment` against a local HTTP receiver that speaks the GitHub REST calls it uses (GitHub cannot run here):
list a PR's issue comments page by page, create one, update one, with the token checked on every call. A simulated PR
gets one comment, edited on every push and never duplicated; a fork PR or a 403 is one line and exit 0; the dry run
writes the Markdown; outside text stays inert and the token never shows."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from hologram_lib.ci.comment import LIMIT_CHARS, MARKER
from tests.helpers import HOSTILE_FUNCTION, counted_regression, hologram
from tests.http_server import running

TOKEN = "ghs_0123456789abcdefSECRETtokenXYZ"
REPOSITORY = "octo/hologram"
PR = 7
PAGE = 2  # comments per page: three pages with the chatter below, so pagination is exercised


@dataclass
class GitHub:
    """The issue comments of one repository's PRs, as GitHub keeps them; `forbid` answers every call with 403."""

    comments: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)
    forbid: bool = False
    next_id: int = 100

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any, str | None]:
        self.calls.append((method, path))
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {"message": "Bad credentials"}, None
        if self.forbid:
            return 403, {"message": f"Resource not accessible by integration (token {TOKEN})"}, None
        if method == "GET" and path == "/user":
            return 403, {"message": "Resource not accessible by integration"}, None  # as Actions' token answers
        listing = re.fullmatch(rf"/repos/{REPOSITORY}/issues/(\d+)/comments\?per_page=\d+(?:&page=(\d+))?", path)
        if method == "GET" and listing:
            mine = [c for c in self.comments if c["issue"] == int(listing[1])]
            page = int(listing[2] or 1)
            more = len(mine) > page * PAGE
            link = f'<{path.split("&page")[0]}&page={page + 1}>; rel="next"' if more else None
            return 200, mine[(page - 1) * PAGE : page * PAGE], link
        created = re.fullmatch(rf"/repos/{REPOSITORY}/issues/(\d+)/comments", path)
        if method == "POST" and created:
            self.next_id += 1
            comment = {"id": self.next_id, "issue": int(created[1]), "user": {"login": "github-actions[bot]"}}
            self.comments.append({**comment, "body": json.loads(body)["body"]})
            return 201, comment, None
        edited = re.fullmatch(rf"/repos/{REPOSITORY}/issues/comments/(\d+)", path)
        if method == "PATCH" and edited:
            for comment in self.comments:
                if comment["id"] == int(edited[1]):
                    comment["body"] = json.loads(body)["body"]
                    return 200, comment, None
        return 404, {"message": "Not Found"}, None


@contextmanager
def github(state: GitHub) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, reply, link = state.answer(self.command, self.path, dict(self.headers), body)
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if link:
                self.send_header("Link", link.replace("<", f"<http://127.0.0.1:{self.server.server_address[1]}"))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _serve

        def log_message(self, *_args: object) -> None:
            pass

    with running(Handler) as url:
        yield url


def event(tmp_path: Path, *, fork: bool = False) -> Path:
    head = "mallory/hologram" if fork else REPOSITORY
    document = {
        "pull_request": {
            "number": PR,
            "head": {"repo": {"full_name": head}},
            "base": {"repo": {"full_name": REPOSITORY}},
        }
    }
    path = tmp_path / "event.json"
    path.write_text(json.dumps(document))
    return path


def comment(reports: Path, api: str, event_path: Path, *extra: str):
    env = {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_API_URL": api,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "4242",
    }
    done = hologram("comment", "--reports-dir", str(reports), *extra, env=env)
    assert TOKEN not in done.stdout + done.stderr
    return done


def test_one_comment_per_pr_edited_across_three_pushes_never_duplicated(report_dir: Path, tmp_path: Path) -> None:
    state = GitHub()
    # Chatter before ours, over more than one page: a person's comment that quotes the marker is not ours to edit.
    state.comments += [
        {"id": i, "issue": PR, "user": {"login": "alice"}, "body": f"looks good {i}"} for i in range(1, 4)
    ]
    state.comments.append({"id": 4, "issue": PR, "user": {"login": "mallory"}, "body": f"fake {MARKER}"})
    state.comments.append({"id": 5, "issue": PR + 1, "user": {"login": "github-actions[bot]"}, "body": MARKER})
    pr_event = event(tmp_path)
    bodies = []
    with github(state) as api:
        for push in range(3):
            if push == 1:
                counted_regression(report_dir)  # the second push regresses the counted encode
            if push == 2:
                (report_dir / "perf" / "ab.json").unlink()  # the third fixes it
            done = comment(report_dir, api, pr_event)
            assert done.returncode == 0, done.stderr
            assert done.stdout.strip() == (
                "comment: created: PR #7" if push == 0 else "comment: updated: PR #7 (comment 101)"
            )
            bodies.append(next(c["body"] for c in state.comments if c["id"] == 101))
    ours = [c for c in state.comments if c["issue"] == PR and c["user"]["login"] == "github-actions[bot]"]
    assert len(ours) == 1 and ours[0]["body"].startswith(MARKER)
    assert [c["body"] for c in state.comments if c["id"] in (4, 5)] == [f"fake {MARKER}", MARKER]  # left alone
    assert ("GET", f"/repos/{REPOSITORY}/issues/{PR}/comments?per_page=100&page=3") in state.calls  # paginated
    assert [m for m, _ in state.calls].count("POST") == 1 and [m for m, _ in state.calls].count("PATCH") == 2
    # Each push's comment tells that push's verdict: the fixture's drift fails; the counted regression is named.
    assert (
        "❌ FAIL" in bodies[0]
        and "Drift that matters" in bodies[0]
        and "| core.verify_ms | **regressed** |" in bodies[0]
    )
    assert "Where core.encode_1MB_instructions went" in bodies[1] and "A/B that matters" in bodies[1]
    assert "Where core.encode_1MB_instructions went" not in bodies[2]
    assert "[this run](https://github.com/octo/hologram/actions/runs/4242)" in bodies[2]
    assert "[hologram-report](https://github.com/octo/hologram/actions/runs/4242#artifacts)" in bodies[2]


def test_a_fork_pr_posts_nothing_and_says_why(report_dir: Path, tmp_path: Path) -> None:
    state = GitHub()
    with github(state) as api:
        done = comment(report_dir, api, event(tmp_path, fork=True))
    assert done.returncode == 0, done.stderr
    assert state.calls == [] and state.comments == []
    assert done.stdout.count("\n") == 1 and "comes from a fork" in done.stdout and "job summary" in done.stdout


def test_a_403_is_one_line_exit_0_without_the_token(report_dir: Path, tmp_path: Path) -> None:
    state = GitHub(forbid=True)  # its error even echoes the token back
    with github(state) as api:
        done = comment(report_dir, api, event(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and "HTTP 403" in done.stdout and done.stderr == ""
    assert state.comments == []


def test_an_unreachable_api_is_exit_3_and_a_bad_event_is_exit_2(report_dir: Path, tmp_path: Path) -> None:
    state = GitHub()
    with github(state) as api:
        pass  # closed: nothing listens there any more
    done = comment(report_dir, api, event(tmp_path))
    assert done.returncode == 3 and done.stderr.startswith("comment: failed: ") and done.stderr.count("\n") == 1
    bad = tmp_path / "bad-event.json"
    bad.write_text("{not json")
    done = comment(report_dir, api, bad)
    assert done.returncode == 2 and str(bad) in done.stderr and "Traceback" not in done.stderr


def test_the_dry_run_writes_the_markdown_and_posts_nothing(report_dir: Path, tmp_path: Path) -> None:
    state = GitHub()
    with github(state) as api:
        done = comment(report_dir, api, event(tmp_path), "--dry-run")
        elsewhere = comment(report_dir, api, event(tmp_path), "--dry-run", "--out", str(tmp_path / "c.md"))
    assert done.returncode == 0 and elsewhere.returncode == 0, done.stderr + elsewhere.stderr
    assert state.calls == []
    text = (report_dir / "comment.md").read_text()
    assert text.startswith(MARKER + "\n## Hologram Pipeline: ❌ FAIL") and len(text) < LIMIT_CHARS
    assert (tmp_path / "c.md").read_text() == text


def test_hostile_text_stays_inert_and_the_comment_fits_githubs_limit(report_dir: Path, tmp_path: Path) -> None:
    from hologram_lib.ci.comment import render
    from hologram_lib.ci.facts import gather
    from hologram_lib.layout import Reports

    counted_regression(report_dir)  # a measured symbol named like an HTML / Markdown payload
    done = comment(report_dir, "http://127.0.0.1:9", event(tmp_path), "--dry-run")
    assert done.returncode == 0, done.stderr
    text = (report_dir / "comment.md").read_text()
    assert "Where core.encode_1MB_instructions went" in text
    assert "<img" not in text and "](javascript" not in text and "<!channel>" not in text
    assert HOSTILE_FUNCTION not in text
    facts = gather(Reports(report_dir))
    huge = facts.verdict.reasons.__class__([f"{'x' * 500} {i}" for i in range(500)])  # 250 kB of reasons
    import dataclasses

    bloated = dataclasses.replace(facts, verdict=dataclasses.replace(facts.verdict, reasons=huge))
    body = render(bloated)
    assert body.startswith(MARKER) and len(body) <= LIMIT_CHARS and "limited to 65,536 characters" in body


def test_a_next_page_on_another_origin_is_not_followed_with_the_token(report_dir: Path, tmp_path: Path) -> None:
    state = GitHub()
    state.comments += [{"id": i, "issue": PR, "user": {"login": "alice"}, "body": "hi"} for i in range(1, 4)]
    with github(state) as api:
        port = api.rsplit(":", 1)[1]
        original = state.answer

        def elsewhere(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any, str | None]:
            status, reply, link = original(method, path, headers, body)
            # The same server under another name: a request there would show up in state.calls.
            return status, reply, None if link is None else link.replace("<", f"<http://localhost:{port}", 1)

        state.answer = elsewhere  # type: ignore[method-assign]
        done = comment(report_dir, api, event(tmp_path))
    assert done.returncode == 3 and "not followed" in done.stderr
    listed = [p for m, p in state.calls if m == "GET" and "/comments" in p]
    assert listed == [f"/repos/{REPOSITORY}/issues/{PR}/comments?per_page=100"] and state.comments[3:] == []


def test_a_trickling_api_is_cut_at_the_commands_deadline(report_dir: Path, tmp_path: Path) -> None:
    from tests.trickle_server import trickling

    started = time.monotonic()
    with trickling(gap_s=0.3) as api:
        done = comment(report_dir, api, event(tmp_path), "--timeout", "2")
    assert done.returncode == 3 and "TimeoutError" in done.stderr, done.stderr
    assert time.monotonic() - started < 30  # ANSWER's 100-odd bytes per call, 0.3 s apart, per-read timeouts never fire
