"""Marketplaces that misbehave on purpose (graphql-core over HTTP, content from the real IPFS node).

STANDARD_SDL names its operations like the reference marketplace (plus a decoy `marketplacePublish` that
must never be tried after a business error); ALT_SDL uses `marketplacePublish` / `installByCid` /
`appsUninstall` and has no search. Faults: publish_error, hang_publish, wrong_cid, wrong_root, echo_token,
evil_error (an error message that is live HTML if a page forgets to escape it).
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from hologram_lib import atlas
from hologram_lib.clients import IpfsClient

EVIL = '<img src=x onerror="document.title=`pwned`"><script>document.title="pwned"</script>`code`'
_PROOFS = "type Proofs { merkleRoot: String! witnesses: [String!]! }"
STANDARD_SDL = (
    _PROOFS
    + """
# Method names below are the GraphQL field names (graphql-core resolves a field by its name on the root).
type App { ok: Boolean! name: String! cid: String! }
type Resolution { name: String! cid: String! encoding: String! proofs: Proofs }
type Status { name: String! status: String! }
type Hit { name: String! cid: String! }
type Query { resolve(name: String!): Resolution searchApps(q: String!): [Hit!]! }
type Mutation {
  publishApp(name: String!, cid: String!): App
  marketplacePublish(name: String!, cid: String!): App
  installApp(name: String!): Status
  uninstallApp(name: String!): Status
}
"""
)
ALT_SDL = (
    _PROOFS
    + """
type Listing { name: String! cid: String! }
type Resolution { name: String! cid: String! encoding: String! proofs: Proofs }
type Query { resolve(name: String!): Resolution }
type Mutation {
  marketplacePublish(name: String!, cid: String!): Listing
  installByCid(cid: String!): Boolean
  appsUninstall(name: String!): Boolean
}
"""
)
OTHER_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


class FakeMarket:
    def __init__(self, ipfs_api: str, *faults: str) -> None:
        self.ipfs_api = ipfs_api
        self.faults = set(faults)
        self.apps: dict[str, str] = {}
        self.calls: Counter[str] = Counter()

    def _publish(self, field: str, info: Any, name: str, cid: str) -> dict[str, Any]:
        self.calls[field] += 1
        if "echo_token" in self.faults:
            raise PermissionError(f"rejected credentials {info.context['authorization']} for {name}")
        if "publish_error" in self.faults:
            raise RuntimeError("quota exceeded: this account may publish 0 more apps")
        if "evil_error" in self.faults:
            raise RuntimeError(EVIL)
        if "hang_publish" in self.faults:
            time.sleep(5)
        self.apps[name] = cid
        return {"ok": True, "name": name, "cid": cid}

    def publishApp(self, info: Any, name: str, cid: str) -> dict[str, Any]:
        return self._publish("publishApp", info, name, cid)

    def marketplacePublish(self, info: Any, name: str, cid: str) -> dict[str, Any]:
        return self._publish("marketplacePublish", info, name, cid)

    def installApp(self, _info: Any, name: str) -> dict[str, str]:
        self.calls["installApp"] += 1
        return {"name": name, "status": "installed"}

    def installByCid(self, _info: Any, cid: str) -> bool:
        self.calls["installByCid"] += 1
        return cid in self.apps.values()

    def uninstallApp(self, _info: Any, name: str) -> dict[str, str]:
        self.calls["uninstallApp"] += 1
        return {"name": name, "status": "uninstalled"}

    def appsUninstall(self, _info: Any, name: str) -> bool:
        self.calls["appsUninstall"] += 1
        return self.apps.pop(name, None) is not None

    def searchApps(self, _info: Any, q: str) -> list[dict[str, str]]:
        return [{"name": n, "cid": c} for n, c in self.apps.items() if q.lower() in n.lower()]

    def resolve(self, _info: Any, name: str) -> dict[str, Any] | None:
        if name not in self.apps:
            return None
        cid = self.apps[name]
        with IpfsClient(self.ipfs_api) as ipfs:
            state = atlas.encode(ipfs.cat(cid))
        witnesses = atlas.witnesses(state)
        root = "00" * 32 if "wrong_root" in self.faults else atlas.merkle_root(witnesses)
        return {
            "name": name,
            "cid": OTHER_CID if "wrong_cid" in self.faults else cid,
            "encoding": f'{{"grids":{state.grid_count}}}',
            "proofs": {"merkleRoot": root, "witnesses": witnesses},
        }
