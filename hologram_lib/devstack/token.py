"""Token discovery beside the stack: the GraphQL token of a running embedded stack whose marketplace is the
GRAPHQL_URL asked for. Handed to the settings (`config.perf_knobs(find_token=…)`) by `hologram_lib.credentials`,
so that the settings never import the dev stack."""

from __future__ import annotations

from pathlib import Path

from hologram_lib.devstack.stack import DEFAULT_STATE_DIR, private_token, token_serving

# `hologram stack up` keeps its state in `.stack/` of the directory it ran in; the seed's commands run from the
# checkout's root, which is looked at too.
_CHECKOUT = Path(__file__).resolve().parents[2]


def find_stack_token(graphql_url: str) -> tuple[str, Path, str] | None:
    """The token of the embedded stack of this checkout that serves `graphql_url` and is running, the file it came
    from and the URL to connect to (the stack's own recorded address: `localhost` resolved to `::1` first sent the
    token to whoever listened there); None for any other URL. The file must be the user's own: a token is never
    borrowed from another account's stack."""
    serving = token_serving(graphql_url, [DEFAULT_STATE_DIR, _CHECKOUT / DEFAULT_STATE_DIR])
    token = private_token(serving[0]) if serving else None
    if serving is None or token is None:
        return None
    return token, serving[0], serving[1]
