"""The redactor replaces whole secrets (the upstream one kept `api_key=sk-123` and JWT tails)."""

from __future__ import annotations

import pytest

from hologram_lib.redact import MASK, one_line, redact


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
