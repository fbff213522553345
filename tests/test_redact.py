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


def test_ordinary_text_is_kept() -> None:
    text = "IPFS add answered HTTP 500: no space left (cid bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku)"
    assert redact(text) == text


def test_one_line_collapses_and_bounds() -> None:
    assert one_line("a\n  b\tc", limit=10) == "a b c"
    assert len(one_line("x" * 500, limit=50)) == 50


def test_a_servers_own_hint_is_not_mangled() -> None:
    hint = "not authorized: mutations need Authorization: Bearer <token>"
    assert redact(hint) == hint
    assert redact("Authorization: Bearer abc.def-123") == f"Authorization: Bearer {MASK}"
    assert redact("authorization=s3cr3t") == f"authorization={MASK}"
