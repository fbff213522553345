"""The documentation: the MkDocs site builds with warnings as errors, every relative link in README.md, docs/ and
reports/README.md reaches a file of this repository (and a heading there, when it names one), and the README says
what a fresh machine needs as the Makefile has it."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from markdown.extensions.toc import slugify

from tests.bench.macros import Figures
from tests.bench.results import Figure, read, record
from tests.helpers import ROOT

DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", ROOT / "reports" / "README.md", *sorted(DOCS.glob("*.md"))]
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+).+?\1", re.DOTALL)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} +(.+?) *$", re.MULTILINE)


def prose(markdown: str) -> str:
    """The text outside code: `[label](url)` inside a code span is an example, not a link."""
    return CODE_SPAN.sub("", FENCE.sub("", markdown))


def relative_links(page: Path) -> list[str]:
    targets = LINK.findall(prose(page.read_text()))
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t)]  # http:, https:, mailto: are not files


def github_slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The ids a heading gets on GitHub and on the MkDocs site (Python-Markdown's toc); a link must work in both."""
    found = HEADING.findall(FENCE.sub("", page.read_text()))
    headings = [CODE_SPAN.sub(lambda m: m.group(0).strip("`"), h) for h in found]
    return {github_slug(h) for h in headings} & {slugify(h, "-") for h in headings}


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's banner about its successor, not a warning of ours
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "WARNING" not in run.stderr, run.stderr
    built = {p.relative_to(tmp_path / "site").parts[0] for p in (tmp_path / "site").glob("*/index.html")}
    assert {page.stem for page in DOCS.glob("*.md") if page.stem != "index"} <= built


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_reaches_a_file_of_the_repository(page: Path) -> None:
    broken = []
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.is_relative_to(ROOT) or not file.exists():
            broken.append(f"{target}: no such file in the repository")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading with that anchor")
    assert broken == []


def test_the_link_checker_sees_a_broken_file_an_escape_and_a_bad_anchor(tmp_path: Path) -> None:
    """The checks above can fail: the same functions on a page with each kind of broken link."""
    page = tmp_path / "page.md"
    page.write_text("# A title `x`\n\n[ok](#a-title-x) ![img](gone.png) [far](../../notes/x.md) `[code](nope.md)`\n")
    assert relative_links(page) == ["#a-title-x", "gone.png", "../../notes/x.md"]
    assert anchors(page) == {"a-title-x"}


def test_every_picture_in_docs_is_shown_somewhere() -> None:
    shown = {Path(t).name for page in PAGES for t in relative_links(page) if t.endswith(".png")}
    assert {p.name for p in DOCS.glob("*.png")} <= shown


def test_every_docs_page_is_in_the_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text().split("\nnav:", 1)[1]
    assert {p.name for p in DOCS.glob("*.md")} == set(re.findall(r"([\w-]+\.md)", nav))


def test_the_readme_names_what_the_makefile_installs_or_needs() -> None:
    makefile = (ROOT / "Makefile").read_text()
    readme = (ROOT / "README.md").read_text()
    apt = set(re.findall(r"apt-get install -y -qq (\w+)", makefile))
    assert apt == {"chromium", "valgrind"}  # a new one must be named in the README too
    needs = {"npm ci": "npm", "hologram stack kubo": "Go", "$(PYTHON) -m venv": "Python ≥ 3.11"}
    for used, named in needs.items():
        assert used in makefile, used
        assert named in readme, named
    for package in apt:
        assert f"`{package}`" in readme, package
    assert "needs only" not in readme


def bare_commands(markdown: str) -> list[str]:
    """Commands shown as `hologram …` (in a code span or a code block), which only work after activation."""
    spans = [span.strip("`") for span in re.findall(r"`[^`\n]+`", FENCE.sub("", markdown))]
    block_lines = [line for block in FENCE.findall(markdown) for line in block.splitlines()]
    return [text for text in spans + block_lines if text.lstrip().startswith("hologram ")]


def test_the_readme_never_shows_a_bare_hologram_before_saying_how_to_call_it() -> None:
    readme = (ROOT / "README.md").read_text()
    explained = readme.index("`. .venv/bin/activate`")
    assert bare_commands(readme[:explained]) == []
    assert bare_commands("run `hologram verdict`\n```bash\nhologram report\n```\n") == [
        "hologram verdict",
        "hologram report",
    ]


def test_reports_readme_lists_the_same_artifacts_as_the_docs() -> None:
    docs = (DOCS / "report.md").read_text().split("## Artifacts", 1)[1]
    listed = set(re.findall(r"^\| `reports/([^`]+)`", docs, re.MULTILINE))
    in_reports = set(re.findall(r"^\| `([^`]+)`", (ROOT / "reports" / "README.md").read_text(), re.MULTILINE))
    assert listed and listed == in_reports - {"path"}
    layout = (ROOT / "hologram_lib" / "layout.py").read_text()
    names = set(re.findall(r'"([a-z_]+\.[a-z]+|[a-z_]+)"', layout)) - {"reports", "perf", "e2e"}
    assert {name for name in names if name not in docs} == set()


# ---- the figures: quoted from docs/bench/results.json (what `make bench` measured), never copied by hand -----------

TABLE_ROW = re.compile(r"^\|.*\|[ \t]*$", re.MULTILINE)
DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")


def hand_written_figures(benchmarks_page: str) -> list[str]:
    """Above `## Studies` every table is `bench_table(…)`: any table row written there is hand-written; below it, a
    study's table must follow a paragraph with its date and the command that repeats it."""
    measured, _, studies = benchmarks_page.partition("\n## Studies\n")
    found = TABLE_ROW.findall(measured)
    for block in re.split(r"\n\n(?=\|)", studies)[:-1]:  # each chunk ends right before a table
        lead = block.rsplit("\n\n", 1)[-1].strip()
        if not (DATE.search(lead) and "tests/bench/bench_" in lead):
            found.append(f"a study table without its date and command after: {lead[-80:]}")
    return found


def test_the_benchmarks_page_has_no_hand_written_figure_outside_its_dated_studies() -> None:
    page = (DOCS / "benchmarks.md").read_text()
    assert "{{ bench_table(" in page
    assert hand_written_figures(page) == []


def test_the_hand_written_figure_check_sees_a_copied_row_and_an_undated_study() -> None:
    page = (
        '# B\n\n{{ bench_table("core") }}\n\n| encode | ≤ 10 ms | 0.40 ms |\n\n## Studies\n\nA/A, long ago.\n\n| a |\n'
    )
    assert hand_written_figures(page) == [
        "| encode | ≤ 10 ms | 0.40 ms |",
        "a study table without its date and command after: A/A, long ago.",
    ]
    dated = "## Studies\n\nA/A, 2026-11-27 (`tests/bench/bench_aa.py --tries 100`).\n\n| a |\n"
    assert hand_written_figures("# B\n" + dated) == []


def test_every_page_that_quotes_a_figure_is_rendered_and_every_figure_is_current() -> None:
    """A page with `{{ bench(` must ask mkdocs-macros to render it (else the reader sees the template), and every id
    it names is in the results file and measured by the script as it is now."""
    figures = Figures()
    for page in DOCS.glob("*.md"):
        text = page.read_text()
        ids = re.findall(r"\{\{ *bench\(\"([^\"]+)\"", text)
        prefixes = re.findall(r"\{\{ *bench_(?:table|measured)\(\"([^\"]+)\"", text)
        if ids or prefixes:
            assert text.startswith("---\nrender_macros: true\n"), page.name
        for figure_id in ids:
            assert figures.quote(figure_id)
        for prefix in prefixes:
            assert figures.table(prefix).count("\n") >= 2


def test_the_results_file_names_each_figure_by_its_script() -> None:
    figures = read()
    assert figures
    for figure_id, found in figures.items():
        assert found["script"] == f"tests/bench/bench_{figure_id.split('.')[0]}.py", figure_id
        assert found["median"] == statistics.median(found["values"])
        assert found["min"] <= found["median"] <= found["max"] and found["repeats"] == len(found["values"])


def tiny_site(root: Path, page: str) -> Path:
    """A site of one page beside copies of the figures' code and one bench script, in `root`."""
    (root / "tests" / "bench").mkdir(parents=True)
    for name in ("macros.py", "results.py", "table.py"):
        (root / "tests" / "bench" / name).write_text((ROOT / "tests" / "bench" / name).read_text())
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text(page)
    (root / "mkdocs.yml").write_text(
        "site_name: t\nstrict: true\nplugins:\n  - macros:\n      module_name: tests/bench/macros\n"
        "      render_by_default: false\n      on_error_fail: true\n      on_undefined: strict\n"
    )
    return root


def build(root: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(root / "site")]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300, check=False)


def test_a_stale_or_unknown_figure_fails_the_build_naming_it_and_the_command(tmp_path: Path) -> None:
    root = tiny_site(tmp_path, '---\nrender_macros: true\n---\n# t\n\nrender: {{ bench("demo.render") }}\n')
    script = root / "tests" / "bench" / "bench_demo.py"
    script.write_text("# measures the demo\n")
    figure = Figure("render", "render", "≤ 8 s", [5.0, 5.4, 6.1], "s")
    record(script, [figure], root / "docs" / "bench" / "results.json", root)
    assert build(root).returncode == 0
    assert "render: 5.4 s" in (root / "site" / "index.html").read_text()

    script.write_text("# measures the demo, differently\n")
    stale = build(root)
    assert stale.returncode != 0
    assert "figure 'demo.render' is stale: tests/bench/bench_demo.py changed" in stale.stdout + stale.stderr
    assert "`.venv/bin/python tests/bench/bench_demo.py" in stale.stdout + stale.stderr

    (root / "docs" / "index.md").write_text('---\nrender_macros: true\n---\n# t\n\n{{ bench("demo.gone") }}\n')
    unknown = build(root)
    assert unknown.returncode != 0
    assert "figure 'demo.gone' is not in results.json" in unknown.stdout + unknown.stderr
