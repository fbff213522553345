"""One errors module: every error a caller can see is a HologramError carrying its exit code, and the CLI ends a
command with that code (no branch per class)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from hologram_lib import errors
from hologram_lib.errors import ExitCode, HologramError

PACKAGE = Path(errors.__file__).parent

# Exceptions that may live beside their code: control flow inside one module, or the embedded marketplace's own
# ValueError (its server answers it as a GraphQL error; no caller of hologram_lib ever sees it).
LOCAL = {"TooLarge"}


def _exception_classes_outside_errors() -> list[tuple[str, str, list[str]]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "errors.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = [ast.unparse(b).rpartition(".")[2] for b in node.bases]
                if any(b.endswith(("Exception", "Error")) for b in bases):
                    found.append((str(path.relative_to(PACKAGE)), node.name, bases))
    return found


def test_every_public_exception_outside_errors_py_is_a_hologram_error() -> None:
    """A class based on a builtin exception outside errors.py is private (`_Skipped`) or listed in LOCAL; the rest
    subclass one of errors.py's classes (atomic.Unwritable, params.ParameterError are InputErrors)."""
    ours = {name for name, value in vars(errors).items() if inspect.isclass(value) and issubclass(value, HologramError)}
    found = _exception_classes_outside_errors()
    assert found, "the scan found no exception classes at all"
    strays = [
        f"{where}: {name}({', '.join(bases)})"
        for where, name, bases in found
        if not name.startswith("_") and name not in LOCAL and not set(bases) & ours
    ]
    assert strays == []


EXIT_CODES = {
    errors.InputError: ExitCode.BAD_INPUT,
    errors.KuboUnavailable: ExitCode.BAD_INPUT,  # InputError first in its bases: `stack up` without Kubo is exit 2
    errors.StepFailed: ExitCode.GATE_FAILED,
    errors.NotRun: ExitCode.NOT_RUN,
    errors.StackError: ExitCode.NOT_RUN,
    errors.ServiceError: ExitCode.NOT_RUN,
    errors.NotOffered: ExitCode.NOT_RUN,
    errors.Busy: ExitCode.NOT_RUN,
    errors.SuiteError: ExitCode.NOT_RUN,
    errors.SampleTimeout: ExitCode.NOT_RUN,
    errors.CountError: ExitCode.NOT_RUN,
    errors.ProfileError: ExitCode.NOT_RUN,
    errors.HooksMissing: ExitCode.NOT_RUN,
}


@pytest.mark.parametrize("kind", list(EXIT_CODES), ids=lambda k: k.__name__)
def test_each_error_carries_its_exit_code(kind: type[HologramError]) -> None:
    assert issubclass(kind, HologramError)
    assert kind.exit_code is EXIT_CODES[kind]


def test_every_error_class_in_errors_py_has_its_expected_code_and_appears_in_the_drawn_hierarchy() -> None:
    classes = [v for v in vars(errors).values() if inspect.isclass(v) and issubclass(v, HologramError)]
    drawn = errors.__doc__ or ""
    for kind in classes:
        assert f"── {kind.__name__}" in drawn or kind is HologramError, kind
        assert kind in EXIT_CODES or kind in (HologramError, errors.Refused, errors.GraphQLErrors), kind


def test_a_refusal_carries_the_code_it_was_given_as_an_exit_code() -> None:
    refused = errors.Refused("refusing to promote off main", exit_code=1)
    assert refused.exit_code is ExitCode.GATE_FAILED and refused.headline() == "refusing to promote off main"


def test_graphql_errors_say_the_first_message_on_one_bounded_line_and_count_the_rest() -> None:
    error = errors.GraphQLErrors(["no such\nfield " + "x" * 300, "another"], [None, None])
    text = str(error)
    assert text.startswith("GraphQL error: no such field x") and text.endswith("… (+1 more)")
    assert len(text) == len("GraphQL error: ") + 200 + len(" (+1 more)")
    assert isinstance(error, errors.ServiceError) and error.exit_code is ExitCode.NOT_RUN


@pytest.mark.parametrize(
    ("error", "code", "line"),
    [
        (errors.InputError("expected a number", "b.yml", 3), 2, "hologram: error: b.yml:3: expected a number"),
        (errors.ServiceError("no answer\nin 2 s"), 3, "hologram: could not run: no answer in 2 s"),
        (errors.CountError("valgrind failed (exit 1)"), 3, "hologram: could not run: valgrind failed (exit 1)"),
        (errors.Refused("refusing to promote off main", 1), 1, "hologram: refusing to promote off main"),
        (errors.StepFailed("resolve returned no encoding"), 1, "hologram: error: resolve returned no encoding"),
    ],
    ids=["input", "service", "count", "refused", "step"],
)
def test_the_cli_ends_a_command_with_the_code_the_error_carries(
    error: HologramError, code: int, line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """Before, a ServiceError or CountError that reached the CLI was an "internal error" (exit 4, a crash log)."""
    from hologram_lib import budgets, cli

    def fails(*_args: object, **_kwargs: object) -> None:
        raise error

    monkeypatch.setattr(budgets, "evaluate", fails)
    assert cli.main(["gate", "--perf-dir", str(tmp_path)]) == code
    assert capsys.readouterr().err == line + "\n"
