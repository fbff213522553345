"""Each notebook's parameters: names, types and defaults, checked before any work.

papermill only warns about an unknown parameter and coerces `-p` values by their look (`-p budget 250` is an
int), so the notebooks and the runner both check here: an unknown name or a wrong type is a clear error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hologram_lib.errors import InputError
from hologram_lib.layout import DEFAULT
from hologram_lib.report import kernel

NOTEBOOKS = ("perf_analysis", "baseline_drift", "e2e_probe")

# name → {parameter: (type, default)}. A float parameter accepts an int; "" means "from the environment".
SPECS: dict[str, dict[str, tuple[type, Any]]] = {
    "perf_analysis": {
        "perf_dir": (str, str(DEFAULT.perf.root)),
        "profile": (str, ""),
        "budgets_file": (str, ""),
        "out_json": (str, str(DEFAULT.analysis("perf_analysis"))),
        "ecdf_points": (int, 2000),
        "verdict_json": (str, str(DEFAULT.verdict)),
    },
    "baseline_drift": {
        "perf_dir": (str, str(DEFAULT.perf.root)),
        "baseline": (str, ""),  # empty: the report's own baseline, as the gate chose it
        "threshold_pct": (float, 0.0),
        "profile": (str, ""),
        "out_json": (str, str(DEFAULT.analysis("baseline_drift"))),
        "verdict_json": (str, str(DEFAULT.verdict)),
    },
    "e2e_probe": {
        "events": (str, str(DEFAULT.events)),
        "run_probe": (bool, False),
        "ipfs_api": (str, ""),
        "graphql_url": (str, ""),
        "runs": (int, 20),
        "out_json": (str, str(DEFAULT.analysis("e2e_probe"))),
        "verdict_json": (str, str(DEFAULT.verdict)),
    },
}


# The parameters that name a file or folder: relative values are taken from the project root (kernel.resolve).
PATH_PARAMETERS = frozenset({"perf_dir", "baseline", "budgets_file", "out_json", "verdict_json", "events"})


class ParameterError(InputError):
    """A notebook parameter that is unknown or of the wrong type."""


def _fits(value: Any, kind: type) -> bool:
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def check(notebook: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """Validate parameters for `notebook`; return the full set with defaults filled in."""
    spec = SPECS[notebook]
    unknown = sorted(set(given) - set(spec))
    if unknown:
        raise ParameterError(f"{notebook}: unknown parameter {', '.join(unknown)}; expected one of {', '.join(spec)}")
    values = {name: default for name, (_, default) in spec.items()}
    for name, value in given.items():
        kind = spec[name][0]
        if not _fits(value, kind):
            raise ParameterError(f"{notebook}: parameter {name} expected {kind.__name__}, got {value!r}")
        values[name] = float(value) if kind is float else value
    return values


def parse_assignments(pairs: list[str]) -> dict[str, dict[str, object]]:
    """`hologram report -p NOTEBOOK.NAME=VALUE …` per notebook: the value as JSON when it parses, else the string
    (checked against SPECS later, by `check`)."""
    parsed: dict[str, dict[str, object]] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        notebook, dot, name = key.partition(".")
        if not sep or not dot or notebook not in NOTEBOOKS:
            raise InputError(f"-p {pair!r}: expected NOTEBOOK.NAME=VALUE with NOTEBOOK one of {', '.join(NOTEBOOKS)}")
        try:
            value: object = json.loads(raw)
        except ValueError:
            value = raw
        parsed.setdefault(notebook, {})[name] = value
    return parsed


def from_namespace(notebook: str, namespace: Mapping[str, Any], names_before: set[str]) -> dict[str, Any]:
    """Inside a notebook: the parameters as set by its `parameters` cell and papermill's injected cell, with
    relative paths resolved from the project root.

    Names that appeared after `names_before` was taken and are not parameters were injected by papermill
    under a wrong name.
    """
    new = {k: v for k, v in namespace.items() if k not in names_before and not k.startswith("_")}
    return resolve_paths(check(notebook, new))


def resolve_paths(values: Mapping[str, Any], root: Path | None = None) -> dict[str, Any]:
    """The path parameters made absolute from the project root: a kernel in notebooks/ (JupyterLab), papermill
    from any --cwd and `hologram report` all read and write the same files."""
    base = root or kernel.project_root()
    return {name: kernel.resolve(v, base) if name in PATH_PARAMETERS else v for name, v in values.items()}
