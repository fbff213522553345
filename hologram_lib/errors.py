"""Every exception a caller of `hologram_lib` can see, and the exit codes of every command.

Each error carries the exit code it means (`exit_code`, one of `ExitCode`), so the CLI maps any of them to its
status through that attribute rather than through a branch per class (httpx's and stamina's hierarchies, papermill's
one `exceptions.py` are the models). The hierarchy:

    HologramError                  INTERNAL_ERROR (4)   never raised itself; `except HologramError` catches ours
    ├── InputError                 BAD_INPUT (2)        one line naming the file, the line and what was expected
    │   ├── Unwritable                                  a path that cannot take a file (atomic.py)
    │   ├── ParameterError                              an unknown or mistyped notebook parameter (report/params.py)
    │   └── KuboUnavailable                             no usable Kubo (also a StackError, below)
    ├── Refused                    per refusal (1 or 2) a command declined to act (promoting a baseline off main)
    ├── StepFailed                 GATE_FAILED (1)      an E2E step's check did not hold (the probe records "fail")
    └── NotRun                     NOT_RUN (3)          something needed could not run; never read as "the gate failed"
        ├── StackError                                  the embedded stack did not start or cannot be inspected
        │   └── KuboUnavailable                         …so `hologram report` goes on without a stack
        ├── ServiceError                                a service answered wrongly, failed or did not answer in time
        │   └── GraphQLErrors                           the server answered with GraphQL `errors`
        ├── NotOffered                                  the marketplace has no operation for a probe step
        ├── Busy                                        another process holds a lock (only when not waiting)
        ├── SuiteError                                  a perf suite could not measure
        ├── SampleTimeout                               one sample took longer than the per-sample timeout
        ├── CountError                                  a counted (callgrind) measurement could not be taken
        ├── ProfileError                                a callgrind profile absent, cut short or not its format
        └── HooksMissing                                callgrind's client requests (pytest-codspeed) not installed

Only exceptions that stay inside one function as control flow (the probe's `_Skipped`, the guard's `_Repeated`) and
the embedded marketplace's own `unixfs.TooLarge` (a ValueError its server answers as a GraphQL error) live beside
their code: no caller outside that module ever sees them.

This module imports nothing of the package: every module may import it.
"""

from __future__ import annotations

import enum
from pathlib import Path


class ExitCode(enum.IntEnum):
    """What every `hologram` command's exit status means (pytest's ExitCode is the model); docs/verdicts.md has the
    table."""

    OK = 0  # success; the gate passed
    GATE_FAILED = 1  # the verdict is FAIL (budget, drift, A/B, E2E), or a check found what it looks for
    BAD_INPUT = 2  # bad input or usage: one line naming the file, the line and what was expected
    NOT_RUN = 3  # could not run: a service down, a suite that errored
    INTERNAL_ERROR = 4  # a bug: one line, the traceback in a log file
    INTERRUPTED = 130  # Ctrl-C or a cancelled CI job (SIGTERM)


class HologramError(Exception):
    """The base of every error above; `exit_code` is what a command exits with when this error ends it."""

    exit_code: ExitCode = ExitCode.INTERNAL_ERROR
    label = "error"  # the word the CLI prints before the message

    def one_line(self) -> str:
        """The message on one line, bounded (a service's answer may carry a page of text)."""
        return " ".join(str(self).split())[:2000]

    def headline(self) -> str:
        """The line the CLI prints after `hologram: `."""
        return f"{self.label}: {self.one_line()}" if self.label else self.one_line()


class InputError(HologramError):
    """Bad input or usage: rendered as one line naming the file, the line and what was expected."""

    exit_code = ExitCode.BAD_INPUT

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


class Refused(HologramError):
    """A command declined to act (e.g. promoting a baseline off main); carries the exit code to use."""

    label = ""

    def __init__(self, message: str, exit_code: int) -> None:
        self.exit_code = ExitCode(exit_code)
        super().__init__(message)


class StepFailed(HologramError):
    """An E2E step's check did not hold; the message says which and how."""

    exit_code = ExitCode.GATE_FAILED


class NotRun(HologramError):
    """Something the command needed could not run (a service down, a suite that errored): exit 3, never read as
    "the gate failed"."""

    exit_code = ExitCode.NOT_RUN
    label = "could not run"


class StackError(NotRun):
    """The embedded stack could not be started or inspected; the message says why (with a log tail)."""


class KuboUnavailable(InputError, StackError):
    """No usable Kubo for the embedded IPFS node (none given, none found, none buildable): bad input for `stack up`
    (exit 2, one line naming the ways to provide one), a stack that did not start for `report` (which goes on)."""


class ServiceError(NotRun):
    """A service answered wrongly, failed, or did not answer in time."""


class GraphQLErrors(ServiceError):
    """The server answered with GraphQL `errors`; `messages` holds each error's message."""

    def __init__(self, messages: list[str], codes: list[str | None]) -> None:
        self.messages = messages
        self.codes = codes
        first = " ".join(messages[0].split())
        first = first if len(first) <= 200 else first[:199] + "…"
        super().__init__(f"GraphQL error: {first}" + (f" (+{len(messages) - 1} more)" if len(messages) > 1 else ""))


class NotOffered(NotRun):
    """The marketplace has no operation for this role (the probe records the step as skipped)."""


class Busy(NotRun):
    """Another process holds the lock (only raised when not waiting)."""


class SuiteError(NotRun):
    """A suite could not measure (its target or service misbehaved)."""


class SampleTimeout(NotRun):
    """One sample took longer than the per-sample timeout."""


class CountError(NotRun):
    """A count could not be taken (valgrind failed, the target raised or spawned threads, the profile is bad)."""


class ProfileError(NotRun):
    """A callgrind output file that is absent, cut short or not callgrind's format."""


class HooksMissing(NotRun):
    """The pytest-codspeed wheel, which carries callgrind's client requests, is not installed."""
