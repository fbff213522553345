"""`hologram kernel`: the project's Jupyter kernel, for JupyterLab and papermill."""

from __future__ import annotations

import argparse
import sys

from hologram_lib.commands import Commands


def register(commands: Commands) -> None:
    commands.add_command("kernel", "install the `hologram` Jupyter kernel (this venv) for lab and papermill", _declare)


def _declare(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=run_kernel)


def run_kernel(_args: argparse.Namespace) -> int:
    from hologram_lib.report.kernel import ensure_kernel

    print(f"kernel: {ensure_kernel()} runs {sys.executable}")
    return 0
