"""The exception types and the exit codes of every command (InputError: bad input, exit 2)."""

from __future__ import annotations

import enum
from pathlib import Path


class InputError(Exception):
    """Bad input or usage: rendered as one line naming the file, the line and what was expected."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        return where + " ".join(self.message.split())


class Refused(Exception):
    """A command declined to act (e.g. promoting a baseline off main); carries the exit code to use."""

    def __init__(self, message: str, exit_code: int) -> None:
        self.exit_code = exit_code
        super().__init__(message)


class StackError(Exception):
    """The embedded stack could not be started or inspected; the message says why (with a log tail)."""


class KuboUnavailable(InputError, StackError):
    """No usable Kubo for the embedded IPFS node (none given, none found, none buildable): bad input for `stack up`
    (exit 2, one line naming the ways to provide one), a stack that did not start for `report` (which goes on)."""


class NotRun(Exception):
    """Something the command needed could not run (a service down, a suite that errored): exit 3, never read as
    "the gate failed"."""


class ExitCode(enum.IntEnum):
    """What every `hologram` command's exit status means (pytest's ExitCode is the model); README has the table."""

    OK = 0  # success; the gate passed
    GATE_FAILED = 1  # the verdict is FAIL (budget, drift, A/B, E2E), or a check found what it looks for
    BAD_INPUT = 2  # bad input or usage: one line naming the file, the line and what was expected
    NOT_RUN = 3  # could not run: a service down, a suite that errored
    INTERNAL_ERROR = 4  # a bug: one line, the traceback in a log file
    INTERRUPTED = 130  # Ctrl-C or a cancelled CI job (SIGTERM)
