"""The documentation's figures, quoted from docs/bench/results.json when the site is built (mkdocs-macros-plugin,
`module_name` in mkdocs.yml). A page that sets `render_macros: true` in its front matter writes

- `{{ bench("report.render") }}` for a figure's median with its unit (`5.4 s`); `{{ bench("report.render", "range") }}`
  for min–max, `"min"` / `"max"` / `"repeats"` for those;
- `{{ bench_table("report") }}` for every figure of one bench script as a table (label, target, median, min–max);
- `{{ bench_measured("report") }}` for when, at what load and from which commit that script's figures were measured.

A figure that was never recorded, or whose bench script changed since it was measured, raises: the strict build fails
with that message, which names the figure and the command that measures it again.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the `mkdocs` entry point does not put the project root on the path
    sys.path.insert(0, str(ROOT))

from tests.bench.results import RESULTS, read, stale_reason  # noqa: E402


class FigureError(LookupError):
    """A page quotes a figure that cannot be quoted: unknown, or measured by an older version of its script."""


def number(value: float) -> str:
    """3 significant digits, thousands separated, no exponent: 0.0998, 5.4, 159, 4,292,550."""
    if float(value).is_integer() or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def with_unit(value: str, unit: str) -> str:
    return f"{value} {unit}" if unit else value


class Figures:
    """The recorded figures, each checked against its bench script before it is quoted."""

    def __init__(self, path: Path = RESULTS, root: Path = ROOT) -> None:
        self.path, self.root = path, root
        self.figures = read(path)

    def get(self, figure_id: str) -> dict[str, Any]:
        found = self.figures.get(figure_id)
        if found is None:
            known = ", ".join(sorted(i for i in self.figures if i.split(".")[0] == figure_id.split(".")[0])) or "none"
            raise FigureError(
                f"figure {figure_id!r} is not in {self.path.name} (measured by `make bench`); "
                f"that script's figures: {known}"
            )
        reason = stale_reason(figure_id, found, self.root)
        if reason:
            raise FigureError(reason)
        return found

    def quote(self, figure_id: str, what: str = "median") -> str:
        found = self.get(figure_id)
        if what == "range":
            return with_unit(f"{number(found['min'])}–{number(found['max'])}", found["unit"])
        if what == "repeats":
            return str(found["repeats"])
        if what not in ("median", "min", "max"):
            raise FigureError(f"figure {figure_id!r}: {what!r} is not median, min, max, range or repeats")
        return with_unit(number(found[what]), found["unit"])

    def of_script(self, prefix: str) -> list[str]:
        ids = [i for i in self.figures if i.startswith(f"{prefix}.")]
        if not ids:
            raise FigureError(f"no figures of bench_{prefix}.py in {self.path.name}: run `make bench`")
        return ids

    def table(self, prefix: str) -> str:
        """Every figure of one bench script, in the order the script recorded them."""
        rows = ["| benchmark | target | median | min–max |", "|---|---|---|---|"]
        for figure_id in self.of_script(prefix):
            found = self.get(figure_id)
            spread = self.quote(figure_id, "range") if found["repeats"] > 1 else "—"
            rows.append(f"| {found['label']} | {found['target']} | {self.quote(figure_id)} | {spread} |")
        return "\n".join(rows)

    def measured(self, prefix: str) -> str:
        """When and how: the script's newest run among its figures (the date, the load, the commit, the command)."""
        found = max((self.get(i) for i in self.of_script(prefix)), key=lambda f: f["date"])
        one, five, fifteen = found["load_average"]
        commit = found["commit"][:10] + (" with uncommitted changes" if found["uncommitted_changes"] else "")
        return (
            f"measured {found['date'].replace('T', ' ').removesuffix('Z')} UTC by `{found['command']}`, "
            f"load average {one:g} / {five:g} / {fifteen:g} (1 / 5 / 15 min) on 2 cores, commit {commit}"
        )


def define_env(env: Any) -> None:
    """mkdocs-macros-plugin's entry: the three macros above, reading the results file once per build."""
    figures = Figures()
    env.macro(figures.quote, "bench")
    env.macro(figures.table, "bench_table")
    env.macro(figures.measured, "bench_measured")
