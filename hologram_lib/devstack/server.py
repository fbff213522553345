"""Run the reference marketplace: `python -m hologram_lib.devstack.server --db FILE --ipfs-api URL [--port N]`.

The mutation token comes from the HOLOGRAM_MARKETPLACE_TOKEN environment variable (never argv, which
`ps` shows to every user). Prints one JSON line {"url": …} once the socket listens; a taken port falls
back to any free port.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
from pathlib import Path
from typing import Any

from hologram_lib.config import marketplace_token
from hologram_lib.errors import InputError


def bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.bind(("127.0.0.1", 0))
    # Accepted sockets inherit TCP_NODELAY. Without it, a keep-alive client that sends headers and body in
    # two packets meets Nagle + delayed ACK and every request after the first waits ≈40 ms.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.listen(128)
    return sock


# A request's head (request line and headers) must arrive within this: uvicorn has no such limit, and a client that
# sends a header byte now and then holds a connection (and its slot) for ever.
HEADER_TIMEOUT_S = 10.0


def _header_deadline_protocol() -> type[Any]:
    """uvicorn's h11 protocol with a deadline on each request head, from its first byte (or the connection's start)
    until h11 has the whole head; the connection is closed when it passes."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderDeadline(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._head_timer is None and self.conn.their_state is h11.IDLE:
                self._arm()  # the first bytes of the next request on a kept-alive connection
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._head_timer = self.loop.call_later(HEADER_TIMEOUT_S, self._head_too_slow)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_too_slow(self) -> None:
            self._head_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

    return HeaderDeadline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--ipfs-api", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-introspection", action="store_true")
    args = parser.parse_args(argv)

    import uvicorn

    from hologram_lib.devstack.marketplace import create_app

    try:
        token = marketplace_token()
    except InputError as exc:
        print(exc.one_line(), file=sys.stderr)
        return 2
    app = create_app(args.db, args.ipfs_api, token, introspection=not args.no_introspection)
    sock = bind(args.port)
    print(json.dumps({"url": f"http://127.0.0.1:{sock.getsockname()[1]}/graphql"}), flush=True)
    config = uvicorn.Config(
        app, http=_header_deadline_protocol(), log_level="warning", access_log=False, timeout_graceful_shutdown=2
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
