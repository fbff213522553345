"""The redactor replaces whole secrets (the upstream one kept `api_key=sk-123` and JWT tails)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hologram_lib.redact import MASK, one_line, redact, redact_lines, secret_lines
from tests.helpers import ROOT, VERDICT_ENV


@pytest.mark.parametrize(
    ("text", "secret_parts"),
    [
        ("api_key=sk-123", ["sk-123"]),
        ('{"token": "abc123def"}', ["abc123def"]),
        ("Authorization: Bearer eyJ0eXAi.eyJzdWIi.c2lnbmF0dXJl", ["eyJ0eXAi", "c2lnbmF0dXJl"]),
        ("Authorization: Basic dXNlcjpwYXNz", ["dXNlcjpwYXNz"]),
        ("see https://alice:hunter2@example.test/graphql", ["alice", "hunter2"]),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcDEF_ghi", ["eyJhbGciOiJIUzI1NiJ9", "abcDEF_ghi"]),
        ("password: p@ss; cookie=session-xyz", ["p@ss", "session-xyz"]),
        ("AUTHORIZATION: bearer abcdefgh", ["abcdefgh"]),
        ("Authorization: token ghp_abcdefghijklmnopqrstuvwxyz0123456789", ["ghp_", "0123456789"]),
        ("clone with ghp_abcdefghijklmnopqrstuvwxyz0123456789", ["ghp_abcdef"]),
        ("pat github_pat_11ABCDEFG0_abcdefghijklmnopqrstuvwxyz0123", ["github_pat_", "0123"]),
        ("posting to https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXX", ["T0001", "XXXXXXXX"]),
        ("https://contoso.webhook.office.com/webhookb2/abc-123@def-456/IncomingWebhook/0a1b/ghi", ["abc-123", "0a1b"]),
        (
            "https://prod-1.westus.logic.azure.com:443/workflows/f00d/triggers/manual/paths/invoke?sp=x&sv=1.0&sig=AbC0",
            ["f00d", "AbC0"],
        ),
        ("GET /api?sig=q1w2e3r4&v=1", ["q1w2e3r4"]),
    ],
)
def test_secret_shapes_are_removed_whole(text: str, secret_parts: list[str]) -> None:
    cleaned = redact(text)
    assert MASK in cleaned
    for part in secret_parts:
        assert part not in cleaned


def test_known_secret_values_are_removed_anywhere() -> None:
    assert redact("server said: rejected abcd-efgh-ijkl", ["abcd-efgh-ijkl"]) == f"server said: rejected {MASK}"
    assert redact("token: xyz-987-secret", ["Bearer xyz-987-secret"]).count("xyz-987") == 0


@pytest.mark.parametrize(
    "text",
    [
        "IPFS add answered HTTP 500: no space left (cid bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku)",
        "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG -> bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
        "artifact sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "Basic sanity checks passed; the bearer of bad news is the p95 of core.verify_ms",
    ],
)
def test_ordinary_text_is_kept(text: str) -> None:
    assert redact(text) == text


def test_one_line_collapses_and_bounds() -> None:
    assert one_line("a\n  b\tc", limit=10) == "a b c"
    assert len(one_line("x" * 500, limit=50)) == 50


def test_a_servers_own_hint_is_not_mangled() -> None:
    hint = "not authorized: mutations need Authorization: Bearer <token>"
    assert redact(hint) == hint
    assert redact("Authorization: Bearer abc.def-123") == f"Authorization: Bearer {MASK}"
    assert redact("authorization=s3cr3t") == f"authorization={MASK}"


# A corpus of our own (tests/data/redact): secret shapes seen in CI logs, service answers and config files, each with
# the parts that must disappear; and look-alikes from this project's own outputs that must stay byte for byte.
CORPUS = Path(__file__).parent / "data" / "redact"
SECRET_CASES = [json.loads(line) for line in (CORPUS / "secrets.jsonl").read_text(encoding="utf-8").splitlines()]
LOOKALIKES = (CORPUS / "lookalikes.txt").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("case", SECRET_CASES, ids=[c["text"][:40] for c in SECRET_CASES])
def test_corpus_secret_shapes_are_removed(case: dict[str, object]) -> None:
    cleaned = redact(str(case["text"]))
    assert MASK in cleaned
    for part in case["secret"]:  # type: ignore[attr-defined]
        assert part not in cleaned, cleaned


@pytest.mark.parametrize("line", LOOKALIKES)
def test_corpus_lookalikes_survive(line: str) -> None:
    """CIDs, digests, commits, run and trace ids, prose about tokens, a public key, a data: URL: not secrets."""
    assert redact(line) == line
    assert secret_lines(line) == []


def test_a_pem_block_is_removed_whole_and_every_line_of_it_is_reported() -> None:
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1c7\nT1k9wq2Pp0XvYzAb\n-----END RSA PRIVATE KEY-----"
    text = f"before\n{key}\nafter\n"
    assert redact(text) == f"before\n-----BEGIN RSA PRIVATE KEY-----{MASK}-----END RSA PRIVATE KEY-----\nafter\n"
    assert secret_lines(text) == [2, 3, 4, 5]
    streamed = "".join(redact_lines(io.StringIO(text)))
    assert streamed == redact(text) and "MIIE" not in streamed


def test_a_pem_block_cut_off_by_the_end_of_a_log_is_still_removed() -> None:
    """A log cut inside a key: the base64 lines go; the first ordinary line after them is kept."""
    text = "x\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nu\nwNSk3yByxZp\n(log cut) step ok\nnext\n"
    streamed = "".join(redact_lines(io.StringIO(text)))
    assert streamed == f"x\n-----BEGIN EC PRIVATE KEY-----{MASK}\n(log cut) step ok\nnext\n"
    assert redact(text) == streamed
    tail = "".join(redact_lines(io.StringIO("x\n-----BEGIN PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nu\n")))
    assert tail == f"x\n-----BEGIN PRIVATE KEY-----{MASK}\n"


def test_an_already_redacted_file_holds_no_secret() -> None:
    text = "\n".join(redact(str(case["text"])) for case in SECRET_CASES)
    assert secret_lines(text) == []


def _redact_cli(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in VERDICT_ENV}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "hologram_lib.cli", "redact", *args],
        input=stdin, capture_output=True, text=True, env=full_env, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip


def test_hologram_redact_removes_the_configured_secrets_however_written() -> None:
    """`hologram redact` never passed the environment's secrets to redact(): a GRAPHQL_TOKEN not written as a
    Bearer header, or a webhook URL's path echoed alone, went through untouched."""
    env = {
        "GRAPHQL_TOKEN": "tok7f3a9c2e41d8b6",
        "SLACK_WEBHOOK_URL": "https://chat.example.test/hook/T0K3NPATH/x9",
        "HOLOGRAM_MARKETPLACE_TOKEN": "mkt4e5f6a7b",
    }
    stdin = "retrying with tok7f3a9c2e41d8b6\nserver said: no route /hook/T0K3NPATH/x9\nmarket mkt4e5f6a7b up\n"
    done = _redact_cli(stdin=stdin, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"retrying with {MASK}\nserver said: no route {MASK}\nmarket {MASK} up\n"


def test_hologram_redact_streams_the_whole_corpus_clean(tmp_path: Path) -> None:
    text = "".join(str(case["text"]).rstrip("\n") + "\n" for case in SECRET_CASES)
    done = _redact_cli(stdin=text + "\n".join(LOOKALIKES) + "\n")
    assert done.returncode == 0, done.stderr
    for case in SECRET_CASES:
        for part in case["secret"]:  # type: ignore[attr-defined]
            assert part not in done.stdout
    assert done.stdout.endswith("\n".join(LOOKALIKES) + "\n")
    (tmp_path / "clean.txt").write_text(done.stdout, encoding="utf-8")
    (tmp_path / "dirty.txt").write_text(text, encoding="utf-8")
    assert _redact_cli("--check", str(tmp_path / "clean.txt")).returncode == 0
    check = _redact_cli("--check", str(tmp_path / "dirty.txt"), env={"GRAPHQL_TOKEN": "nowhere-in-it"})
    assert check.returncode == 1 and check.stdout.count("dirty.txt:") >= len(SECRET_CASES)
