"""The Locust load test (tests/load_marketplace.py) at a small size: concurrent publish + resolve + search against
the session's stack lose no publish and answer no 5xx. `make soak` runs it at 50 users for 30 s."""

from __future__ import annotations

from pathlib import Path

from tests.load_marketplace import run_load


def test_concurrent_publish_resolve_search_lose_nothing(stack, tmp_path: Path) -> None:
    result = run_load(stack, tmp_path, users=10, spawn_rate=10, run_time="6s")
    assert result.published >= 5, result
    assert result.lost == [] and result.server_errors == 0 and result.failures == 0, result
    assert result.requests >= 50 and result.p95_ms["resolve"] > 0
