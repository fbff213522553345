"""The embedded Hologram stack: a real IPFS node and the reference GraphQL marketplace on loopback.

A package of its own inside the tree. The product enters it through `devstack.stack` only — `up`, `down`, `status`,
`serving`, `run` — and what it gets back is endpoints: a `StackInfo` (IPFS_API, GRAPHQL_URL, the Kubo version) or an
environment whose IPFS_API / GRAPHQL_URL / GRAPHQL_TOKEN point at the stack. `hologram stack kubo` also asks
`kubo.locate` which Kubo binary the stack would run, and `hologram_lib.credentials` asks `token.find_stack_token`
for a running stack's mutation token when GRAPHQL_URL points at it without a GRAPHQL_TOKEN. ENTRY names those
modules; tests/test_devstack_entry.py holds every module outside this package to them.

Inside, one job per module:
- `stack`: the state directory (stack.json, the mutation token, the published reports/stack.json) and the lifecycle;
- `processes`: supervision — detached start, "is this pid ours", stop with a grace period;
- `services`: starting Kubo and the marketplace, waiting until each answers, seeding the demo object;
- `kubo`, `kubo_node`: the Kubo binary (found, or built once and cached) and its daemon's repo and config;
- `server`, `marketplace`, `catalog`, `content_api`, `unixfs`: the marketplace process, its schema and resolvers;
- `guard`, `documents`, `query_budget`: the marketplace's defences against abusive requests (HTTP, parse and
  validation, the cost walk).
"""

ENTRY = ("stack", "kubo", "token")
