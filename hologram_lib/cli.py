"""The `hologram` command: argument parsing and exit codes only; the work happens in hologram_lib.

Exit codes (errors.ExitCode): 0 success / gate passed; 1 gate failed; 2 bad input or usage (one line, no
traceback); 3 could not run (a service down, a suite that errored); 4 internal error (one line, the traceback in a
log file); 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from hologram_lib.commands import Commands, Handler, register_all
from hologram_lib.errors import ExitCode, HologramError


def build_parser() -> argparse.ArgumentParser:
    """The `hologram` parser: every command of hologram_lib/commands/, each declaring its options when chosen."""
    parser = argparse.ArgumentParser(prog="hologram", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, action=Commands)
    assert isinstance(commands, Commands)
    register_all(commands)
    return parser


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; everything it prints goes through outside.terminal (no control sequence from outside text
    reaches the terminal) with the configured secrets removed, except `redact`'s filtered data, which is the user's
    own stream (redacted by the command itself)."""
    from hologram_lib.config import secret_values
    from hologram_lib.outside import TerminalStream

    streams, secrets = (sys.stdout, sys.stderr), secret_values()
    sys.stdout, sys.stderr = TerminalStream(sys.stdout, secrets), TerminalStream(sys.stderr, secrets)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = streams


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)  # a usage error: argparse exits 2 itself
    handler: Handler = args.handler
    # A cancelled CI job sends SIGTERM: unwind like Ctrl-C, so that `finally` blocks run (ab removes its worktree,
    # a report marks its index "could not judge").
    for name in ("SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), _interrupt)
    try:
        return int(handler(args))
    except HologramError as exc:  # each error carries its exit code (errors.py draws the hierarchy)
        print(f"hologram: {exc.headline()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except (IsADirectoryError, NotADirectoryError, FileExistsError, PermissionError) as exc:
        print(f"hologram: error: {exc.filename}: cannot write or read there ({exc.strerror})", file=sys.stderr)
        return ExitCode.BAD_INPUT
    except BrokenPipeError:  # `hologram e2e summary | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK
    except Exception as exc:  # a bug: one line here, the traceback in a file (never read as "the gate failed")
        log = _crash_log(exc)
        line = " ".join(f"{type(exc).__name__}: {exc}".split())[:400]
        print(f"hologram: internal error: {line} (traceback in {log})", file=sys.stderr)
        return ExitCode.INTERNAL_ERROR


def _crash_log(exc: Exception) -> Path:
    """The traceback, redacted, in a file of its own under the temp folder (a CI log shows the line naming it)."""
    import tempfile
    import traceback

    from hologram_lib import atomic
    from hologram_lib.redact import redact

    text = redact("".join(traceback.format_exception(exc)))
    handle, name = tempfile.mkstemp(prefix="hologram-crash-", suffix=".log")
    os.close(handle)
    return atomic.write_text(Path(name), text)


if __name__ == "__main__":
    sys.exit(main())
