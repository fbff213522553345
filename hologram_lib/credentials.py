"""The settings that talk to a deployment, with the embedded stack's token handed in: `perf_knobs` and
`probe_settings` as `config` builds them from the environment, and — when GRAPHQL_TOKEN is unset and GRAPHQL_URL is
the marketplace of a running embedded stack of this checkout — that stack's token (`devstack.token`).

The one place where the settings meet the dev stack, so that `config` never imports it (tests/test_layering.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from hologram_lib import config


def find_stack_token(graphql_url: str) -> tuple[str, Path, str] | None:
    # Imported only when asked (GRAPHQL_TOKEN unset, GRAPHQL_URL set): every perf worker process builds its knobs,
    # and the stack's supervision code is no part of its start-up.
    from hologram_lib.devstack.token import find_stack_token as find

    return find(graphql_url)


def perf_knobs(
    samples: int | None = None, environ: Mapping[str, str] | None = None, *, cold: bool = False
) -> config.PerfKnobs:
    return config.perf_knobs(samples, environ, cold=cold, find_token=find_stack_token)


def probe_settings(timeout_s: float | None = None, environ: Mapping[str, str] | None = None) -> config.ProbeSettings:
    return config.probe_settings(timeout_s, environ, find_token=find_stack_token)
