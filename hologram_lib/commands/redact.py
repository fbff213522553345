"""`hologram redact`: a filter that removes the configured secrets from a stream, or `--check FILE…` for them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hologram_lib.commands import Commands
from hologram_lib.commands.output import print_lines


def register(commands: Commands) -> None:
    commands.add_command(
        "redact", "stdin → stdout with secrets replaced; --check FILES: exit 1 when any holds a secret", _declare
    )


def _declare(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=run_redact)
    parser.add_argument("--check", nargs="+", type=Path, metavar="FILE", help="report secrets in these files instead")


def run_redact(args: argparse.Namespace) -> int:
    from hologram_lib.config import secret_values
    from hologram_lib.redact import redact_lines, secret_findings

    secrets = secret_values()  # the configured token and webhook URLs, however they are written
    if not args.check:
        out = getattr(sys.stdout, "unfiltered", sys.stdout)  # the user's data, byte for byte but the secrets
        for line in redact_lines(sys.stdin, secrets):
            out.write(line)
            out.flush()  # a filter on a live log: each line as soon as it is safe
        return 0
    found = secret_findings(args.check, secrets)
    print_lines(found or [f"redact: no secrets in {len(args.check)} file(s)"])
    return 1 if found else 0
