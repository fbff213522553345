"""`hologram stack up | down | status | run | kubo`: the embedded IPFS node and GraphQL marketplace on loopback."""

from __future__ import annotations

import argparse
import sys

from hologram_lib.commands import Commands, options
from hologram_lib.commands.output import print_lines
from hologram_lib.errors import InputError

UP_TIMEOUT_S = 180.0


def register(commands: Commands) -> None:
    commands.add_command("stack", "the embedded IPFS node and GraphQL marketplace on loopback", _declare)


def _declare(parser: argparse.ArgumentParser) -> None:
    stack = parser.add_subparsers(dest="stack_command", required=True)
    up = stack.add_parser("up", help="start both servers (or reuse running ones) and print the export lines")
    up.set_defaults(handler=run_up)
    options.state_dir(up, "stack state")
    options.no_introspection(up)
    options.timeout(up, "seconds to wait for both to answer (%(default)s)", UP_TIMEOUT_S)
    up.add_argument(
        "--open",
        action="store_true",
        help="DANGER: mutations without a token, for suites whose client sends none (loopback only)",
    )

    down = stack.add_parser("down", help="stop the servers this state directory started")
    down.set_defaults(handler=run_down)
    options.state_dir(down, "stack state")

    status = stack.add_parser("status", help="say whether the stack runs and answers; exit 1 when it does not")
    status.set_defaults(handler=run_status)
    options.state_dir(status, "stack state")

    run = stack.add_parser(
        "run", help="run a command with the stack's endpoints set where IPFS_API / GRAPHQL_URL are unset"
    )
    run.set_defaults(handler=run_run)
    options.state_dir(run, "stack state")
    options.no_introspection(run)
    run.add_argument("argv", nargs=argparse.REMAINDER, help="-- COMMAND [ARG…]")

    kubo = stack.add_parser(
        "kubo", help="find the Kubo the IPFS node runs (HOLOGRAM_KUBO, PATH, cache) or build it once; print it"
    )
    kubo.set_defaults(handler=run_kubo)
    options.state_dir(kubo, "stack state")


def run_up(args: argparse.Namespace) -> int:
    from hologram_lib.devstack import stack

    if args.open:
        print(stack.OPEN_WARNING, file=sys.stderr)
    info = stack.up(
        args.state_dir, introspection=not args.no_introspection, timeout_s=args.timeout, open_mutations=args.open
    )
    print_lines(
        [
            f"stack: IPFS {info.ipfs_api} (Kubo {info.ipfs_version or '?'}, pid {info.ipfs_pid}), "
            f"GraphQL {info.graphql_url} (pid {info.graphql_pid})",
            *info.exports(),
        ]
    )
    return 0


def run_down(args: argparse.Namespace) -> int:
    from hologram_lib.devstack import stack

    stopped = stack.down(args.state_dir)
    print("stack: stopped " + (", ".join(stopped) if stopped else "nothing (not running)"))
    return 0


def run_status(args: argparse.Namespace) -> int:
    from hologram_lib.devstack import stack

    running = stack.status(args.state_dir)
    print(f"stack: up, IPFS {running.ipfs_api}, GraphQL {running.graphql_url}" if running else "stack: down")
    return 0 if running else 1


def run_run(args: argparse.Namespace) -> int:
    from hologram_lib.devstack import stack

    return stack.run(args.state_dir, _command(args.argv), introspection=not args.no_introspection)


def run_kubo(_args: argparse.Namespace) -> int:
    from hologram_lib.devstack import kubo

    found = kubo.locate()
    print(f"stack: Kubo {found.version} at {found.path} (from {found.source})")
    return 0


def _command(argv: list[str]) -> list[str]:
    """The command after `--` (argparse keeps the separator in a REMAINDER)."""
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        raise InputError("stack run: expected a command after --")
    return command
