"""HTTP clients for the two services: the IPFS node (Kubo RPC API) and the GraphQL marketplace.

Each client holds one keep-alive session and puts a total deadline on every call: requests' own timeout bounds each
socket read, so a server trickling a byte a second held a 2 s call for 82 s; a watchdog cuts the call's socket when
its deadline passes. Errors carry a short reason and never the token or the whole response.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, Self

import requests
import urllib3
from requests.adapters import HTTPAdapter

from hologram_lib.errors import GraphQLErrors, ServiceError


def authorization_header(token: str | None) -> dict[str, str]:
    """GRAPHQL_TOKEN may be given with or without the `Bearer ` prefix."""
    if not token:
        return {}
    value = token.strip()
    return {"Authorization": value if value.lower().startswith("bearer ") else f"Bearer {value}"}


def _short(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _remembering_pools(in_use: dict[int, socket.socket]) -> dict[str, type[urllib3.HTTPConnectionPool]]:
    """urllib3 pools whose connections note, per calling thread, the socket that thread's request is using (a new
    one when it connects, a kept-alive one when it sends)."""

    def note(sock: socket.socket | None) -> None:
        if sock is not None:
            in_use[threading.get_ident()] = sock

    class Http(urllib3.connection.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            note(self.sock)

        def request(self, *args: Any, **kwargs: Any) -> None:
            note(self.sock)
            super().request(*args, **kwargs)

    class Https(Http, urllib3.connection.HTTPSConnection):  # the same noting, over TLS (Http's super() is TLS's)
        pass

    class HttpPool(urllib3.HTTPConnectionPool):
        ConnectionCls = Http

    class HttpsPool(urllib3.HTTPSConnectionPool):
        ConnectionCls = Https

    return {"http": HttpPool, "https": HttpsPool}


class _CuttableAdapter(HTTPAdapter):
    """An adapter that knows which socket each thread's call is using, so that a deadline can cut that one (the
    marketplace calls its IPFS client from several threads at once: one call's deadline must not cut another's)."""

    def __init__(self) -> None:
        self.in_use: dict[int, socket.socket] = {}
        super().__init__()

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _remembering_pools(self.in_use)

    def cut(self, thread: int) -> None:
        sock = self.in_use.pop(thread, None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One sleeping thread per session that calls `expire(thread)` when the deadline a thread armed passes (a Timer
    per call would start a thread per measured request)."""

    def __init__(self, expire: Callable[[int], None]) -> None:
        self._expire = expire
        self._condition = threading.Condition()
        self._deadlines: dict[int, float] = {}
        self._thread: threading.Thread | None = None
        self._stopped = False

    def arm(self, seconds: float) -> None:
        with self._condition:
            self._deadlines[threading.get_ident()] = time.monotonic() + seconds
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="http-deadline", daemon=True)
                self._thread.start()
            self._condition.notify()

    def disarm(self) -> None:
        with self._condition:
            self._deadlines.pop(threading.get_ident(), None)

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._condition.notify()

    def _run(self) -> None:
        with self._condition:
            while not self._stopped:
                if not self._deadlines:
                    self._condition.wait()
                    continue
                now = time.monotonic()
                for thread in [t for t, deadline in self._deadlines.items() if deadline <= now]:
                    del self._deadlines[thread]
                    self._expire(thread)
                if self._deadlines:
                    self._condition.wait(min(self._deadlines.values()) - now)


def deadline_session() -> tuple[requests.Session, _CuttableAdapter]:
    """A requests session whose sockets a deadline can cut; redirects are never followed by its callers."""
    session = requests.Session()
    adapter = _CuttableAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session, adapter


class _Session:
    """One keep-alive HTTP session; use as a context manager so its sockets are closed.

    `waited_s` adds up the time spent waiting on the service, so a caller can tell its own overhead apart.
    """

    session: requests.Session
    timeout_s: float
    waited_s: float = 0.0
    _adapter: _CuttableAdapter
    _watchdog: _Watchdog

    def _open(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.session, self._adapter = deadline_session()
        self._watchdog = _Watchdog(self._adapter.cut)

    def _send(self, what: str, url: str, **kwargs: Any) -> requests.Response:
        """POST within `timeout_s` in total (connect, headers and body); a redirect is a failure, never followed."""
        start = time.perf_counter()
        self._watchdog.arm(self.timeout_s)
        try:
            response = self.session.post(url, timeout=self.timeout_s, allow_redirects=False, **kwargs)
        except requests.Timeout:
            raise ServiceError(f"{what} did not answer within {self.timeout_s:g} s") from None
        except requests.RequestException as exc:
            if time.perf_counter() - start >= self.timeout_s:  # the watchdog cut a call that was still trickling
                raise ServiceError(f"{what} did not answer within {self.timeout_s:g} s") from None
            raise ServiceError(f"{what} unreachable ({type(exc).__name__})") from None
        finally:
            self._watchdog.disarm()
            self.waited_s += time.perf_counter() - start
        if response.is_redirect:
            raise ServiceError(f"{what} answered HTTP {response.status_code} (a redirect, not followed)")
        return response

    def close(self) -> None:
        self._watchdog.stop()
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
        self._open(timeout_s)
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
        if errors and not isinstance(errors, list):
            raise ServiceError(f"GraphQL answered HTTP {response.status_code} with `errors` that is not a list")
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
        self._open(timeout_s)

    def _post(self, path: str, **kwargs: Any) -> requests.Response:
        response = self._send(f"IPFS {path}", f"{self.api}/api/v0/{path}", **kwargs)
        if response.status_code != 200:
            try:
                answer = response.json()
            except ValueError:
                answer = None
            message = str(answer.get("Message", "")) if isinstance(answer, dict) else ""
            raise ServiceError(f"IPFS {path} answered HTTP {response.status_code}: {_short(message)}")
        return response

    def _object(self, path: str, **kwargs: Any) -> dict[str, Any]:
        """The JSON object an RPC call answers; anything else (`[]`, text, a number) is a ServiceError."""
        response = self._post(path, **kwargs)
        try:
            answer = response.json()
        except ValueError:
            raise ServiceError(f"IPFS {path} answered HTTP 200 without JSON") from None
        if not isinstance(answer, dict):
            raise ServiceError(f"IPFS {path} answered JSON that is not an object ({type(answer).__name__})")
        return answer

    def version(self) -> str:
        version = self._object("version").get("Version")
        if not isinstance(version, str) or not version:
            raise ServiceError("IPFS version answered without a Version string")
        return version

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
            keys = self._object("pin/ls", params={"arg": cid}).get("Keys") or {}
        except ServiceError as exc:
            if "not pinned" in str(exc):
                return False
            raise
        return bool(keys)

    def unpin(self, cid: str) -> None:
        self._post("pin/rm", params={"arg": cid})
