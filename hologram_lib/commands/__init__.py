"""The `hologram` subcommands, one module per command or command family (asv's model): each module's `register`
adds its command to the parser with its one-line help, declares its options through `options` (every shared option
declared once there) and sets a handler per leaf command, `run_<name>(args) -> exit code`.

A command's options are declared when that command is chosen (`Commands`), not when the parser is built: some option
lists live in heavy modules — the suites' registry loads numpy, the baseline sources load DuckDB — and
`hologram --help` or `hologram redact` should not pay for them.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

# The command modules, in the order `hologram --help` lists their commands.
FAMILIES = (
    "perf",
    "ab",
    "bisect",
    "calibrate",
    "gate",
    "baseline",
    "verdict",
    "history",
    "report",
    "e2e",
    "ci",
    "redact",
    "kernel",
    "stack",
)

Declare = Callable[[argparse.ArgumentParser], None]
Handler = Callable[[argparse.Namespace], int]


if TYPE_CHECKING:  # generic for the type checker only (argparse's class is not subscriptable at run time)
    _SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    _SubParsers = argparse._SubParsersAction


class Commands(_SubParsers):
    """The top-level subcommands: `add_command` records how a command declares its options; they are declared when
    argparse picks that command (or `declare_all`, for a test that walks the whole tree)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._undeclared: dict[str, Declare] = {}

    def add_command(self, name: str, help: str, declare: Declare) -> None:
        self.add_parser(name, help=help)
        self._undeclared[name] = declare

    def declared(self, name: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = self._name_parser_map[name]
        declare = self._undeclared.pop(name, None)
        if declare is not None:
            declare(parser)
        return parser

    def declare_all(self) -> None:
        for name in list(self._undeclared):
            self.declared(name)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        if isinstance(values, Sequence) and values and values[0] in self._undeclared:  # a known name (argparse checked)
            self.declared(str(values[0]))
        super().__call__(parser, namespace, values, option_string)


def register_all(commands: Commands) -> None:
    """Every family adds its commands; importing a family module is cheap (its heavy imports are in its functions)."""
    for family in FAMILIES:
        importlib.import_module(f"{__name__}.{family}").register(commands)
