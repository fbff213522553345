"""The one error type that means "the user gave us bad input" (exit code 2)."""

from __future__ import annotations

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
