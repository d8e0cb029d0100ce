"""The learner's side: `make lab` works in a git-ignored copy, shows Validate and no instructor
tools; the learner's archive holds no instructor material. Fast; no browser, no server."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import CHAPTERS, ROOT, skip_unless_all

LAB = ROOT / "lab" / "jupyter"
INSTRUCTOR_LAB_PLUGINS = {
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:menu",
}
INSTRUCTOR_SERVER_EXTENSIONS = {
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
}


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


workspace = load_script("learner_workspace")
learner_archive = load_script("build_learner_archive")


def test_lab_config_disables_instructor_tools_and_keeps_validate():
    disabled = json.loads((LAB / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    nbgrader_disabled = {name for name, off in disabled.items() if off and name.startswith("@jupyter/nbgrader:")}
    assert nbgrader_disabled == INSTRUCTOR_LAB_PLUGINS
    assert "@jupyter/nbgrader:validate-assignment" not in disabled
    server = json.loads((LAB / "jupyter_server_config.json").read_text())["ServerApp"]["jpserver_extensions"]
    assert {name for name, on in server.items() if on is False} == INSTRUCTOR_SERVER_EXTENSIONS
    assert server["nbgrader.server_extensions.validate_assignment"] is True


def test_instructor_plugin_ids_exist_in_the_installed_nbgrader():
    """The disabled ids must match nbgrader's real plugin ids, or disabling them does nothing."""
    static = ROOT / ".venv" / "share" / "jupyter" / "labextensions" / "@jupyter" / "nbgrader" / "static"
    if not static.is_dir():
        skip_unless_all("nbgrader's lab extension is not installed in .venv")
    bundled = "".join(p.read_text(errors="ignore") for p in static.glob("*.js"))
    ids = set(re.findall(r'"(@jupyter/nbgrader:[a-z-]+)"', bundled))
    assert INSTRUCTOR_LAB_PLUGINS | {"@jupyter/nbgrader:validate-assignment"} <= ids, ids


def test_make_lab_opens_work_with_the_learner_config():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile[makefile.index("\nlab:"):].split("\n\n")[0]
    assert "scripts/learner_workspace.py" in recipe
    assert "root_dir=$(CURDIR)/work" in recipe
    assert "JUPYTER_CONFIG_DIR=$(CURDIR)/lab/jupyter" in makefile
    assert re.search(r"^work/$", (ROOT / ".gitignore").read_text(), re.M), "work/ must be git-ignored"


def test_work_folder_is_ignored_by_git():
    done = subprocess.run(["git", "check-ignore", "-q", "work/01_basics/01_basics.ipynb"], cwd=ROOT, check=False)
    assert done.returncode == 0, "git does not ignore work/"


def make_chapters(folder, chapters, text):
    for chapter in chapters:
        (folder / chapter).mkdir(parents=True)
        (folder / chapter / f"{chapter}.ipynb").write_text(text)


def test_workspace_copies_each_chapter_once_and_never_overwrites(tmp_path):
    source, work = tmp_path / "notebooks", tmp_path / "work"
    make_chapters(source, ["01_a", "02_b"], "blank")
    assert workspace.populate(source, work) == ["course", "01_a", "02_b"]
    (work / "01_a" / "01_a.ipynb").write_text("my answers")
    (work / "02_b" / "02_b.ipynb").unlink()  # a learner may delete files inside a chapter they keep

    # a release regenerates the student notebooks and adds a chapter
    (source / "01_a" / "01_a.ipynb").write_text("regenerated")
    make_chapters(source, ["03_c"], "new chapter")
    assert workspace.populate(source, work) == ["course", "03_c"]
    assert (work / "01_a" / "01_a.ipynb").read_text() == "my answers"
    assert not (work / "02_b" / "02_b.ipynb").exists()
    assert (work / "03_c" / "03_c.ipynb").read_text() == "new chapter"
    assert workspace.populate(source, work) == ["course"], "only the reference pages are rewritten"


def test_workspace_skips_checkpoints(tmp_path):
    source, work = tmp_path / "notebooks", tmp_path / "work"
    make_chapters(source, ["01_a"], "blank")
    (source / "01_a" / ".ipynb_checkpoints").mkdir()
    workspace.populate(source, work)
    assert not (work / "01_a" / ".ipynb_checkpoints").exists()


def test_learner_archive_members_and_refusals(tmp_path):
    output = tmp_path / "learner.zip"
    names = learner_archive.build(output)
    assert {f"recsys-course/notebooks/{c}/{c}.ipynb" for c in CHAPTERS} <= set(names)
    assert {"recsys-course/notebooks/course/errata.ipynb", "recsys-course/notebooks/course/references.ipynb",
            "recsys-course/lab/settings/overrides.json"} <= set(names)
    assert not [n for n in names if n.split("/")[1] in {"solutions", "tests", "grading", "book"}]
    assert zipfile.ZipFile(output).testzip() is None
    assert learner_archive.build(tmp_path / "again.zip") == names
    assert (tmp_path / "again.zip").read_bytes() == output.read_bytes(), "the archive is reproducible"
    with pytest.raises(ValueError, match="instructor"):
        learner_archive.check(Path("solutions/x.ipynb"), b"{}")
    with pytest.raises(ValueError, match="HIDDEN"):
        learner_archive.check(Path("notebooks/x/x.ipynb"), b"### BEGIN HIDDEN TESTS")


# --- readable student notebooks (jupyterlab-myst; the release step in grading/release.py) ------------

from grading import release  # noqa: E402  (the release step's own module)

NOTEBOOKS = ROOT / "notebooks"
# Directives jupyterlab-myst renders (checked in a browser: scripts/lab_screenshots.py).
RENDERED_DIRECTIVES = {"tab-set", "tab-item", "dropdown", "note", "tip", "warning", "important",
                       "admonition", "math", "figure", "code", "code-block", "card", "grid",
                       "grid-item", "grid-item-card", "seealso", "caution", "hint", "attention",
                       "danger", "error", "list-table", "table"}
DIRECTIVE = re.compile(r"^\s*(?:```+|:::+)\s*\{([a-z-]+)\}", re.M)
EVAL = re.compile(r"\{eval\}`([^`]*)`")
GLUED = re.compile(r'^glued\("([^"]+)"(?:, "([^"]*)")?\)$')
RAW_MARKUP = re.compile(r"\{(glue|cite|doc|ref|numref|term)(:[a-z]+)?\}`")


def student(chapter: str):
    return nbformat.read(NOTEBOOKS / chapter / f"{chapter}.ipynb", as_version=4)


def glued_names(chapter: str) -> set[str]:
    """Names the source notebook records with glue("name", ...)."""
    nb = nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return set(re.findall(r"""glue\(\s*f?["']([^"']+)["']""", text))


import nbformat  # noqa: E402


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_markdown_has_no_raw_site_markup(chapter):
    for index, cell in enumerate(student(chapter).cells):
        if cell.cell_type != "markdown":
            continue
        raw = RAW_MARKUP.findall(cell.source)
        assert not raw, f"{chapter} cell {index}: raw {raw} left for JupyterLab (run `make release`)"
        unknown = set(DIRECTIVE.findall(cell.source)) - RENDERED_DIRECTIVES
        assert not unknown, f"{chapter} cell {index}: directives jupyterlab-myst does not render: {unknown}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_inline_figures_name_recorded_figures(chapter):
    recorded = glued_names(chapter)
    for index, cell in enumerate(student(chapter).cells):
        for expression in EVAL.findall(cell.source) if cell.cell_type == "markdown" else []:
            match = GLUED.match(expression)
            assert match, f"{chapter} cell {index}: unexpected inline expression {expression!r}"
            name = match.group(1)
            assert name in recorded or any("{" in r for r in recorded), (
                f"{chapter} cell {index}: {name} is never recorded by the chapter")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_notebook_starts_with_the_setup_cell(chapter):
    cells = student(chapter).cells
    first = next(c for c in cells if c.cell_type == "code")
    assert release.SETUP_TAG in first.metadata.get("tags", [])
    assert "except ImportError" in first.source and "make lab" in first.source
    assert "record_figures()" in first.source
    assert max(len(line) for line in first.source.splitlines()) <= 88


@pytest.fixture(scope="module")
def learner_work(tmp_path_factory):
    """A learner's work/ folder as `make lab` makes it from the committed student notebooks."""
    work = tmp_path_factory.mktemp("work")
    workspace.populate(NOTEBOOKS, work)
    return work


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_links_resolve_in_the_learner_folder(chapter, learner_work):
    """Relative links point at files that `make lab` puts beside the notebook in work/."""
    folder = learner_work / chapter
    for index, cell in enumerate(student(chapter).cells):
        if cell.cell_type != "markdown":
            continue
        for target in release.LINK.findall(cell.source):
            path = target.split("#")[0]
            if not path or not re.search(r"\.(md|ipynb|html)$", path):
                continue
            assert (folder / path).resolve().is_file(), f"{chapter} cell {index}: link {target} resolves nowhere"
            assert (folder / path).resolve().is_relative_to(learner_work.resolve()), target


def test_course_pages_are_generated_and_readable(learner_work):
    for name in ("errata.ipynb", "references.ipynb"):
        nb = nbformat.read(learner_work / release.COURSE_FOLDER / name, as_version=4)
        text = "\n".join(c.source for c in nb.cells)
        assert not RAW_MARKUP.search(text), f"raw MyST roles in {name}"
        for target in release.LINK.findall(text):
            path = target.split("#")[0]
            if re.search(r"\.(md|ipynb)$", path):
                assert (learner_work / release.COURSE_FOLDER / path).resolve().is_file(), target
    errata = nbformat.read(learner_work / "course" / "errata.ipynb", as_version=4)
    assert "../01_basics/01_basics.ipynb" in "\n".join(c.source for c in errata.cells)
    refs = nbformat.read(learner_work / "course" / "references.ipynb", as_version=4).cells[0].source
    assert "Harper and Konstan (2015)" in refs and "document 000" in refs


def test_rewrite_markdown_examples():
    refs = {"harper2015movielens": {"label": "Harper and Konstan (2015)", "authors": "Harper and Konstan",
                                    "year": "2015", "full": 'Harper, "M". The MovieLens Datasets', "link": ""}}
    text = ("Has {glue:text}`01_n` ratings, {glue:text}`01_share:.1%` liked "
            "{cite}`harper2015movielens` {cite:p}`harper2015movielens,unknown2020`; see the "
            "[errata](../errata.md#found-in-chapter-01) and [chapter 05](05_sequential.ipynb), "
            "and {doc}`the glossary <../glossary>`.")
    out = release.rewrite_markdown(text, refs)
    assert '{eval}`glued("01_n")`' in out and '{eval}`glued("01_share", ".1%")`' in out
    assert "[Harper and Konstan (2015)](../course/references.ipynb \"Harper, 'M'. The MovieLens Datasets\")" in out
    assert "([Harper and Konstan, 2015](../course/references.ipynb" in out and "; unknown2020)" in out
    assert "[errata](../course/errata.ipynb)" in out
    assert "[chapter 05](../05_sequential/05_sequential.ipynb)" in out
    assert "the glossary" in out and "{doc}" not in out
    assert release.rewrite_markdown(out, refs) == out, "rewriting is idempotent"


def test_release_leaves_nbgrader_cells_untouched():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("{glue:text}`x`"),
        nbformat.v4.new_markdown_cell("{glue:text}`y`", metadata={"nbgrader": {"grade_id": "q", "locked": True}}),
        nbformat.v4.new_code_cell("x = 1"),
    ])
    release.learner_notebook(nb, {}, release.download_hint())
    assert nb.cells[1].source == "{glue:text}`y`"
    assert nb.cells[2].metadata["tags"] == [release.SETUP_TAG] and nb.cells[3].source == "x = 1"
    release.learner_notebook(nb, {}, release.download_hint())
    assert sum(release.SETUP_TAG in c.metadata.get("tags", []) for c in nb.cells) == 1


def test_setup_cell_says_what_to_install_when_the_package_is_missing():
    source = release.setup_source(release.download_hint("https://example.org/course"))
    namespace: dict = {}
    broken = source.replace("from recsys_helpers.figures import", "from recsys_helpers_missing import")
    with pytest.raises(ImportError, match=r"recsys_helpers.*download the course.*make lab") as caught:
        exec(compile(broken, "<setup>", "exec"), namespace)
    assert "https://example.org/course/book/how_to_use.html" in str(caught.value)
    assert str(caught.value).count(". ") == 0, "one sentence"


def test_learner_lab_renders_myst_and_keeps_every_cell_attached():
    overrides = json.loads((ROOT / "lab" / "settings" / "overrides.json").read_text())
    assert overrides["@jupyterlab/notebook-extension:tracker"]["windowingMode"] == "none"
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile[makefile.index("\nlab:"):].split("\n\n")[0]
    assert "--LabApp.app_settings_dir=$(CURDIR)/lab/settings" in recipe
    assert re.search(r"^jupyterlab_myst==\S+$", (ROOT / "requirements.txt").read_text(), re.M)
    installed = ROOT / ".venv" / "share" / "jupyter" / "labextensions" / "jupyterlab-myst"
    if (ROOT / ".venv").is_dir():
        assert installed.is_dir(), "jupyterlab-myst's lab extension is not installed in .venv"


@pytest.mark.chapters
def test_inline_figures_evaluate_after_running_the_solved_student_notebook(tmp_path):
    """Chapter 01's student notebook, solutions filled in, run as a learner's kernel would."""
    from nbclient import NotebookClient

    chapter = "01_basics"
    nb = release.solved(student(chapter),
                        nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4))
    expressions = sorted({e for c in nb.cells if c.cell_type == "markdown" for e in EVAL.findall(c.source)})
    assert expressions
    nb.cells.append(nbformat.v4.new_code_cell(
        "import json\nprint(json.dumps({e: str(eval(e)) for e in " + repr(expressions) + "}))"))
    NotebookClient(nb, kernel_name="recsys-course", timeout=300,
                   resources={"metadata": {"path": str(NOTEBOOKS / chapter)}}).execute()
    shown = json.loads(nb.cells[-1].outputs[0]["text"])
    from recsys_helpers.figures import NOT_YET

    assert not [e for e, v in shown.items() if v == NOT_YET], "figures never recorded"
    site = recorded_text(chapter)
    from myst_nb.core.variables import format_plain_text

    for expression, value in shown.items():
        name, fmt = GLUED.match(expression).groups()
        if name in site and not name.endswith("run_seconds"):
            assert value == format_plain_text(site[name], fmt or ""), (expression, value, site[name])


def recorded_text(chapter: str) -> dict[str, str]:
    """name -> text/plain the executed site copy recorded (empty if not executed)."""
    path = ROOT / "book" / "chapters" / f"{chapter}.ipynb"
    if not path.exists():
        return {}
    found = {}
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook", {})
            if "name" in scrapbook:
                found[scrapbook["name"]] = output["data"].get(scrapbook.get("mime_prefix", "") + "text/plain", "")
    return found
