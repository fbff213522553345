"""The `hologram` command's layout: one module per command family under hologram_lib/commands/, each registering its
own commands; every option declared once, with its default derived rather than written into the help; the option
lists taken from the registries that define them; and `hologram --help` free of the heavy libraries."""

from __future__ import annotations

import argparse
import ast
import importlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import hologram_lib.commands
from hologram_lib.cli import build_parser
from hologram_lib.commands import FAMILIES, Commands

COMMANDS_DIR = Path(hologram_lib.commands.__file__).parent
HEAVY = ("numpy", "pandas", "matplotlib", "papermill", "duckdb")


def _commands_of(parser: argparse.ArgumentParser) -> Commands:
    (commands,) = [action for action in parser._actions if isinstance(action, Commands)]
    return commands


def _leaves(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every leaf command as ("perf collect", its parser), after declaring every command's options."""
    subcommands = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    if not subcommands:
        yield " ".join(path), parser
        return
    for action in subcommands:
        if isinstance(action, Commands):
            action.declare_all()
        for name, child in action.choices.items():
            yield from _leaves(child, (*path, name))


def _family_parser(family: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hologram")
    commands = parser.add_subparsers(dest="command", required=True, action=Commands)
    assert isinstance(commands, Commands)
    importlib.import_module(f"hologram_lib.commands.{family}").register(commands)
    return parser


def test_each_command_module_registers_its_own_commands_with_a_handler_of_its_own() -> None:
    registered: dict[str, str] = {}
    for family in FAMILIES:
        parser = _family_parser(family)
        names = list(_commands_of(parser).choices)
        assert names, f"commands/{family}.py registers no command"
        for name in names:
            assert name not in registered, f"{name} registered by {registered[name]} and {family}"
            registered[name] = family
        for leaf, leaf_parser in _leaves(parser):
            handler = leaf_parser.get_default("handler")
            assert callable(handler), f"`hologram {leaf}` has no handler"
            assert handler.__module__ == f"hologram_lib.commands.{family}", (leaf, handler.__module__)
    assert list(_commands_of(build_parser()).choices) == list(registered)  # the whole CLI is exactly these
    handlers = [leaf_parser.get_default("handler") for _, leaf_parser in _leaves(build_parser())]
    assert len(handlers) == len(set(handlers)), "two leaf commands share a handler (an if-chain inside it?)"


def _declared_options(path: Path) -> list[str]:
    """The option strings ("--perf-dir") that a module passes to add_argument."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument":
            found += [
                arg.value
                for arg in node.args
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.startswith("--")
            ]
    return found


def test_no_option_is_declared_twice() -> None:
    modules = [*sorted(COMMANDS_DIR.glob("*.py")), COMMANDS_DIR.parent / "cli.py"]
    declared: dict[str, list[str]] = {}
    for module in modules:
        for option in _declared_options(module):
            declared.setdefault(option, []).append(module.name)
    assert "--perf-dir" in declared and "--threshold-pct" in declared  # the scan sees the helpers
    twice = {option: where for option, where in declared.items() if len(where) > 1}
    assert not twice, f"declared more than once (declare it in commands/options.py): {twice}"
    # In the tree: an option that several commands take is one option, of one type, wherever it appears.
    types: dict[str, set[object]] = {}
    for _, parser in _leaves(build_parser()):
        for action in parser._actions:
            for option in action.option_strings:
                types.setdefault(option, set()).add(action.type)
    assert {option: kinds for option, kinds in types.items() if len(kinds) > 1} == {}
    assert len([1 for _, parser in _leaves(build_parser()) if "--perf-dir" in parser._option_string_actions]) >= 6


# A default written into a help text by hand: "default 10", "(10)", "default: 200".
HAND_WRITTEN_DEFAULT = re.compile(r"default:? \d|\(\d[\d.]*\)")


def test_help_texts_derive_their_defaults() -> None:
    for leaf, parser in _leaves(build_parser()):
        for action in parser._actions:
            if action.help is None or action.help == argparse.SUPPRESS or isinstance(action, argparse._HelpAction):
                continue
            assert not HAND_WRITTEN_DEFAULT.search(action.help), (leaf, action.option_strings, action.help)
            shown = action.default not in (None, False, [], argparse.SUPPRESS)
            if shown and action.option_strings:
                assert "%(default)s" in action.help, (leaf, action.option_strings, action.help)


def _option(command: list[str], option: str) -> argparse.Action:
    parser = build_parser()
    commands = _commands_of(parser)
    target = commands.declared(command[0])
    for name in command[1:]:
        (sub,) = [a for a in target._actions if isinstance(a, argparse._SubParsersAction)]
        target = sub.choices[name]
    return target._option_string_actions[option]


def test_option_lists_and_defaults_come_from_where_they_are_defined() -> None:
    from hologram_lib.config import BASELINE_SOURCES as SOURCES
    from hologram_lib.config import DEFAULT_PERF_DIR, DEFAULT_SAMPLES, HISTORY_RUNS, MEASURES
    from hologram_lib.perf.suites import SUITE_BUILDERS

    assert _option(["perf", "collect"], "--suite").choices == tuple(SUITE_BUILDERS)
    assert _option(["calibrate"], "--suite").choices == tuple(SUITE_BUILDERS)
    for command in (["verdict"], ["baseline", "compare"]):
        assert _option(command, "--baseline-source").choices == SOURCES
        assert _option(command, "--baseline-source").default == SOURCES[0]
        assert _option(command, "--history-runs").default == HISTORY_RUNS
    assert _option(["ab"], "--samples").default == DEFAULT_SAMPLES
    assert _option(["gate"], "--perf-dir").default == DEFAULT_PERF_DIR
    assert _option(["perf", "collect"], "--measure").choices == MEASURES


def test_a_command_declares_its_options_only_when_chosen() -> None:
    parser = build_parser()
    commands = _commands_of(parser)
    assert commands.choices["verdict"]._actions[1:] == []  # only -h: nothing declared yet
    args = parser.parse_args(["verdict", "--threshold-pct", "5"])
    assert args.threshold_pct == 5.0 and args.handler.__name__ == "run_verdict"
    assert commands.choices["gate"]._actions[1:] == []  # the other commands stay undeclared
    with pytest.raises(SystemExit) as usage:
        build_parser().parse_args(["gate", "--threshold-pct", "5"])  # gate has no such option: usage error
    assert usage.value.code == 2


@pytest.mark.parametrize(
    "command", [["--help"], ["redact", "--help"], ["kernel", "--help"], ["summary", "--help"], ["verdict", "--help"]]
)
def test_help_loads_no_heavy_library(command: list[str]) -> None:
    script = (
        "import sys\nfrom hologram_lib.cli import main\n"
        f"try:\n    main({command!r})\nexcept SystemExit as exit:\n    assert exit.code == 0, exit.code\n"
        f"print('heavy:' + ','.join(name for name in {HEAVY!r} if name in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    assert "usage: hologram" in done.stdout
    assert done.stdout.splitlines()[-1] == "heavy:", f"{command} loaded {done.stdout.splitlines()[-1]}"
