"""The embedded stack is a package whose only entry the product uses is its endpoints: no module outside
hologram_lib/devstack imports anything of it but the modules devstack.ENTRY names."""

from __future__ import annotations

import ast
from pathlib import Path

from hologram_lib import devstack

PACKAGE = Path(__file__).resolve().parents[1] / "hologram_lib"


def _devstack_modules_imported(source: str) -> set[str]:
    """The devstack modules a source imports, by any spelling (`from hologram_lib.devstack import x`,
    `from hologram_lib.devstack.x import y`, `import hologram_lib.devstack.x`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module == "hologram_lib.devstack":
                found |= {alias.name for alias in node.names}
            elif module.startswith("hologram_lib.devstack."):
                found.add(module.split(".")[2])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[2] for a in node.names if a.name.startswith("hologram_lib.devstack.")}
    return found


def test_the_product_enters_the_stack_only_through_its_entry_modules() -> None:
    outside = [p for p in PACKAGE.rglob("*.py") if "devstack" not in p.relative_to(PACKAGE).parts]
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(used - set(devstack.ENTRY))
        for path in outside
        if (used := _devstack_modules_imported(path.read_text(encoding="utf-8"))) - set(devstack.ENTRY)
    }
    assert offenders == {}


def test_the_rule_sees_every_spelling_of_an_import() -> None:
    source = (
        "from hologram_lib.devstack import guard, stack\n"
        "from hologram_lib.devstack.processes import ours\n"
        "import hologram_lib.devstack.services\n"
        "def f():\n    from hologram_lib.devstack.query_budget import Cost\n"
    )
    assert _devstack_modules_imported(source) == {"guard", "stack", "processes", "services", "query_budget"}
