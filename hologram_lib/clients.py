"""HTTP clients for the two services: the IPFS node (Kubo RPC API) and the GraphQL marketplace.

Each client holds one keep-alive session and puts a timeout on every call. Errors carry a short reason
and never the token or the whole response.
"""

from __future__ import annotations

import json
import time
from typing import Any, Self

import requests


class ServiceError(Exception):
    """A service answered wrongly, failed, or did not answer in time."""


class GraphQLErrors(ServiceError):
    """The server answered with GraphQL `errors`; `messages` holds each error's message."""

    def __init__(self, messages: list[str], codes: list[str | None]) -> None:
        self.messages = messages
        self.codes = codes
        super().__init__(
            f"GraphQL error: {_short(messages[0])}" + (f" (+{len(messages) - 1} more)" if len(messages) > 1 else "")
        )


def authorization_header(token: str | None) -> dict[str, str]:
    """GRAPHQL_TOKEN may be given with or without the `Bearer ` prefix."""
    if not token:
        return {}
    value = token.strip()
    return {"Authorization": value if value.lower().startswith("bearer ") else f"Bearer {value}"}


def _short(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class _Session:
    """One keep-alive HTTP session; use as a context manager so its sockets are closed.

    `waited_s` adds up the time spent waiting on the service, so a caller can tell its own overhead apart.
    """

    session: requests.Session
    timeout_s: float
    waited_s: float = 0.0

    def _send(self, what: str, url: str, **kwargs: Any) -> requests.Response:
        start = time.perf_counter()
        try:
            return self.session.post(url, timeout=self.timeout_s, **kwargs)
        except requests.Timeout:
            raise ServiceError(f"{what} did not answer within {self.timeout_s:g} s") from None
        except requests.RequestException as exc:
            raise ServiceError(f"{what} unreachable ({type(exc).__name__})") from None
        finally:
            self.waited_s += time.perf_counter() - start

    def close(self) -> None:
        self.session.close()

    def reconnect(self) -> None:
        """Drop the keep-alive connection: the next call opens a new one (a cold profile measures that)."""
        for adapter in self.session.adapters.values():
            adapter.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class GraphQLClient(_Session):
    def __init__(self, url: str, token: str | None = None, timeout_s: float = 10.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.session = requests.Session()
        self.session.headers.update({"Content-Type": "application/json", **authorization_header(token)})

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a successful response; ServiceError on transport errors or GraphQL `errors`."""
        body = {"query": query, "variables": variables or {}}
        response = self._send("GraphQL", self.url, data=json.dumps(body))
        try:
            payload = response.json()
        except ValueError:
            raise ServiceError(f"GraphQL answered HTTP {response.status_code} without JSON") from None
        if not isinstance(payload, dict):
            raise ServiceError(f"GraphQL answered HTTP {response.status_code} with JSON that is not an object")
        errors = payload.get("errors")
        if errors:
            items: list[dict[str, Any]] = [e if isinstance(e, dict) else {"message": str(e)} for e in errors]
            codes = [
                (e.get("extensions") or {}).get("code") if isinstance(e.get("extensions"), dict) else None
                for e in items
            ]
            raise GraphQLErrors([str(e.get("message", "")) for e in items], codes)
        if response.status_code != 200 or not isinstance(payload.get("data"), dict):
            raise ServiceError(f"GraphQL answered HTTP {response.status_code} without data")
        data: dict[str, Any] = payload["data"]
        return data


class IpfsClient(_Session):
    """Kubo RPC API: every call is a POST; `add` answers newline-delimited JSON (the last line is the file)."""

    def __init__(self, api: str, timeout_s: float = 10.0) -> None:
        self.api = api.rstrip("/")
        self.timeout_s = timeout_s
        self.session = requests.Session()

    def _post(self, path: str, **kwargs: Any) -> requests.Response:
        response = self._send(f"IPFS {path}", f"{self.api}/api/v0/{path}", **kwargs)
        if response.status_code != 200:
            try:
                message = response.json().get("Message", "")
            except ValueError:
                message = ""
            raise ServiceError(f"IPFS {path} answered HTTP {response.status_code}: {_short(message)}")
        return response

    def version(self) -> str:
        return str(self._post("version").json().get("Version", ""))

    def add(self, data: bytes, *, pin: bool = True, cid_version: int = 1, only_hash: bool = False) -> str:
        params = {"pin": str(pin).lower(), "cid-version": str(cid_version), "only-hash": str(only_hash).lower()}
        response = self._post("add", params=params, files={"file": ("data", data, "application/octet-stream")})
        lines = [line for line in response.text.splitlines() if line.strip()]
        try:
            return str(json.loads(lines[-1])["Hash"])
        except (IndexError, ValueError, KeyError, TypeError):
            raise ServiceError("IPFS add answered without a Hash") from None

    def cat(self, cid: str) -> bytes:
        return self._post("cat", params={"arg": cid}).content

    def pinned(self, cid: str) -> bool:
        """Is `cid` pinned? (Kubo answers HTTP 500 "not pinned" for an unpinned CID.)"""
        try:
            keys = self._post("pin/ls", params={"arg": cid}).json().get("Keys") or {}
        except ServiceError as exc:
            if "not pinned" in str(exc):
                return False
            raise
        return bool(keys)

    def unpin(self, cid: str) -> None:
        self._post("pin/rm", params={"arg": cid})
