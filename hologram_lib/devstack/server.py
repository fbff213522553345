"""Run the reference marketplace: `python -m hologram_lib.devstack.server --db FILE --ipfs-api URL [--port N]`.

The mutation token comes from the HOLOGRAM_MARKETPLACE_TOKEN environment variable (never argv, which
`ps` shows to every user). Prints one JSON line {"url": …} once the socket listens; a taken port falls
back to any free port.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from pathlib import Path

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
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=2)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
