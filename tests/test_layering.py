"""The package's layering, as import rules that fail naming the importing module, the imported one and the rule.

Most rules are import-linter contracts in pyproject.toml ([tool.importlinter]; `lint-imports` runs the same ones):
judging never imports the measuring code, measuring never imports the judge, pages never recompute statistics, CI
outputs never read raw measurements, settings never import the dev stack, the paired documents import neither side,
the dev stack never imports the product, the product never imports the tests. import-linter sees every import,
including those inside functions, which is what those rules mean. One rule it cannot say — "at module level" — is
checked here by walking the AST: the modules the CLI loads for every command never import pandas or matplotlib
when they are loaded (a command that needs them imports them inside the function that does).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
HEAVY = ("pandas", "matplotlib")


def lint_imports(*args: str, config: Path = ROOT / "pyproject.toml") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", *args, str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def broken_part(output: str) -> str:
    """import-linter's "Broken contracts" section: per rule, "<importer> is not allowed to import <imported>" and the
    chain of imports with their lines."""
    return output[output.find("Broken contracts") :] if "Broken contracts" in output else output


def test_the_import_contracts_hold() -> None:
    done = lint_imports()
    assert done.returncode == 0, broken_part(done.stdout + done.stderr)
    assert "0 broken" in done.stdout
    for rule in (
        "judging never imports the measuring code",
        "measuring never imports the judge",
        "pages never recompute statistics",
        "CI outputs never read raw measurements",
        "settings never import the dev stack",
    ):
        assert rule in " ".join(done.stdout.split()), f"the rule {rule!r} is no longer checked"


def test_a_broken_rule_names_the_importer_the_imported_module_and_the_rule(tmp_path: Path) -> None:
    """The same machinery on a rule that the code breaks (the verdict does import the budget gate): the failure
    names both modules, the line of the import and the rule in words."""
    config = tmp_path / "contracts.toml"
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["hologram_lib"]\n\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "the overall verdict never imports the budget gate (a rule the code breaks)"\n'
        'type = "forbidden"\n'
        'source_modules = ["hologram_lib.verdict"]\n'
        'forbidden_modules = ["hologram_lib.budgets"]\n'
        "allow_indirect_imports = true\n",
        encoding="utf-8",
    )
    done = lint_imports(config=config)
    assert done.returncode == 1, done.stdout + done.stderr
    said = broken_part(done.stdout)
    assert "the overall verdict never imports the budget gate" in " ".join(said.split())
    assert "hologram_lib.verdict is not allowed to import hologram_lib.budgets" in said
    assert "hologram_lib.verdict -> hologram_lib.budgets (l." in said


def module_path(package_root: Path, name: str) -> Path | None:
    """The file of module `name` under the directory holding its top package, or None when it is not ours."""
    base = package_root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def module_level_imports(path: Path, name: str) -> list[tuple[str, int]]:
    """(imported module, line) for every import executed when the module is loaded: its top-level statements and
    those nested in if / try / with / class bodies — never inside a function, and never under TYPE_CHECKING."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, int]] = []

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.Import):
                found.extend((alias.name, node.lineno) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                parent = package.rsplit(".", node.level - 1)[0] if node.level else ""
                module = ".".join(part for part in (parent, node.module or "") if part)
                found.append((module, node.lineno))
                found.extend((f"{module}.{alias.name}", node.lineno) for alias in node.names)
            elif isinstance(node, ast.If):
                if "TYPE_CHECKING" not in ast.unparse(node.test):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                    visit(block)
            elif isinstance(node, ast.With | ast.ClassDef):
                visit(node.body)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return found


def heavy_imports_on_load(package_root: Path, entry: str, heavy: tuple[str, ...]) -> list[str]:
    """Each module-level import of a `heavy` package reached from `entry` by module-level imports alone, as
    "<chain of modules> imports <heavy module> (line N)"."""
    top = entry.split(".")[0]
    chains = {entry: [entry]}
    queue, problems = [entry], []
    while queue:
        name = queue.pop(0)
        path = module_path(package_root, name)
        if path is None:
            continue
        for imported, line in module_level_imports(path, name):
            if imported.split(".")[0] in heavy:
                problems.append(f"{' -> '.join(chains[name])} imports {imported} (line {line} of {path.name})")
            elif imported.split(".")[0] == top and imported not in chains and module_path(package_root, imported):
                chains[imported] = [*chains[name], imported]
                queue.append(imported)
    return problems


def test_the_modules_every_command_loads_never_import_pandas_or_matplotlib_at_module_level() -> None:
    problems = heavy_imports_on_load(ROOT, "hologram_lib.cli", HEAVY)
    rule = "the CLI-loaded core never imports pandas / matplotlib at module level (import them in the function)"
    assert not problems, rule + ":\n" + "\n".join(problems)


def test_the_module_level_walker_finds_a_heavy_import_two_modules_down(tmp_path: Path) -> None:
    package = tmp_path / "toy"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "cli.py").write_text("from toy import core\n\ndef run():\n    import matplotlib\n")
    (package / "core.py").write_text(
        "from typing import TYPE_CHECKING\nfrom . import tables\nif TYPE_CHECKING:\n    import matplotlib\n"
    )
    (package / "tables.py").write_text(
        "import math\n\ntry:\n    import pandas as pd\nexcept ImportError:\n    pd = None\n"
    )
    assert heavy_imports_on_load(tmp_path, "toy.cli", HEAVY) == [
        "toy.cli -> toy.core -> toy.tables imports pandas (line 4 of tables.py)"
    ]
