"""The learner's side: `make lab` works in a git-ignored copy, shows Validate and no instructor
tools; the learner's archive holds no instructor material. Fast; no browser, no server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import CHAPTERS, ROOT, skip_unless_all
from course.cells import is_answer_cell
from course.grading.synthetic import build, solutions_of
from course.publish import archive as learner_archive
from course.publish import release, workspace
from recsys_helpers import recording

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
    assert "python -m course.publish.workspace" in recipe
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
    assert not [n for n in names if n.split("/")[1] in {"solutions", "tests", "book"}]
    assert [n for n in names if n.split("/")[1] == "course"] == [
        "recsys-course/course/__init__.py", "recsys-course/course/publish/__init__.py",
        "recsys-course/course/publish/workspace.py",
    ], "of the course package, the archive ships only what `make lab` runs"
    assert not {"recsys-course/requirements.txt", "recsys-course/package.json"} & set(names), "instructor's tooling"
    assert zipfile.ZipFile(output).testzip() is None
    for name in ("README.md", "Makefile"):
        assert zipfile.ZipFile(output).read(f"recsys-course/{name}") == (learner_archive.LEARNER / name).read_bytes()
    assert learner_archive.build(tmp_path / "again.zip") == names
    assert (tmp_path / "again.zip").read_bytes() == output.read_bytes(), "the archive is reproducible"
    with pytest.raises(ValueError, match="instructor"):
        learner_archive.check(Path("solutions/x.ipynb"), b"{}")
    with pytest.raises(ValueError, match="instructor"):
        learner_archive.check(Path("course/grading/checker.py"), b"")
    with pytest.raises(ValueError, match="HIDDEN"):
        learner_archive.check(Path("notebooks/x/x.ipynb"), b"### BEGIN HIDDEN TESTS")


def test_make_lab_step_works_from_the_unpacked_archive(tmp_path):
    """`make lab`'s `python -m course.publish.workspace`, run in the unpacked archive (no book/)."""
    learner_archive.build(tmp_path / "learner.zip")
    zipfile.ZipFile(tmp_path / "learner.zip").extractall(tmp_path)
    unpacked = tmp_path / "recsys-course"
    done = subprocess.run([sys.executable, "-m", "course.publish.workspace"], cwd=unpacked, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    work = unpacked / "work"
    assert {p.name for p in work.iterdir()} == {p.name for p in (unpacked / "notebooks").iterdir() if p.is_dir()}
    assert {p.name for p in (work / "course").iterdir()} == {"errata.ipynb", "references.ipynb"}


def unpacked_archive(folder: Path) -> Path:
    """The learner's archive, built and unpacked into ``folder``; its files dated 2026-01-01 as in the zip."""
    learner_archive.build(folder / "learner.zip")
    with zipfile.ZipFile(folder / "learner.zip") as archive:
        archive.extractall(folder)
    unpacked = folder / "recsys-course"
    for path in unpacked.rglob("*"):
        os.utime(path, (FIXED_MTIME, FIXED_MTIME))
    return unpacked


FIXED_MTIME = 1767225600  # 2026-01-01, the archive's member date
LEARNER_TARGETS = {"help", "install", "prepare", "lab", "validate"}


def make(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", *args], cwd=folder, capture_output=True, text=True, check=False)


def test_learner_makefile_offers_only_the_targets_that_work_in_the_archive(tmp_path):
    """Every target `make help` lists in the unpacked archive has what it needs (`make -n`: no missing
    file, no book/, npm or instructor command); the README names only those targets."""
    unpacked = unpacked_archive(tmp_path)
    listed = set(re.findall(r"^  make (\w+)", make(unpacked, "help").stdout, re.M))
    assert listed == LEARNER_TARGETS
    for target in sorted(LEARNER_TARGETS - {"help"}):
        done = make(unpacked, "-n", target, "CHAPTER=01_basics", "PYTHON=" + sys.executable)
        assert done.returncode == 0, f"make -n {target} in the archive: {done.stderr}"
        instructor = re.search(r"\bbook/|\bnpm\b|solutions/|requirements\.txt|-m pytest|bin/pytest", done.stdout)
        assert not instructor, done.stdout
    install = make(unpacked, "-n", "install", "PYTHON=" + sys.executable).stdout
    assert "-r requirements-learner.txt -r requirements-nodeps.txt" in install
    assert "scripts/prepare_machine.py" in install
    readme = (unpacked / "README.md").read_text()
    assert set(re.findall(r"`make (\w+)", readme)) <= LEARNER_TARGETS, "the README names a target the archive lacks"
    assert "{eval}" in readme and "{tab-set}" in readme, "the README says what other editors show"


def test_learner_lab_recipe_is_the_course_lab_recipe():
    """`make lab` in the archive opens JupyterLab exactly as the course's own `make lab` does."""
    def lab(makefile: Path) -> str:
        text = makefile.read_text()
        return text[text.index("LAB_ENV :="):text.index("\n\n", text.index("\nlab:"))]

    assert lab(learner_archive.LEARNER / "Makefile") == lab(ROOT / "Makefile")


def test_make_lab_runs_in_the_unpacked_archive_with_an_installed_environment(tmp_path):
    """`make lab` for real in the unpacked archive, with this course's .venv as the archive's (its
    stamp is newer than the archive's files, so nothing is installed): work/ is filled and JupyterLab
    starts (``--version`` makes it print and exit). The caches' check is left out (``-o prepare``): it is
    the course's own scripts/prepare_machine.py, which the real install of the archive runs."""
    if not (ROOT / ".venv" / ".installed").exists():
        skip_unless_all("the course's .venv is not installed (make install)")
    unpacked = unpacked_archive(tmp_path)
    (unpacked / ".venv").symlink_to(ROOT / ".venv")
    stale = make(unpacked, "-q", ".venv/.installed")
    assert stale.returncode == 0, "make would reinstall into the course's .venv: refusing"
    done = make(unpacked, "-o", "prepare", "lab", "LAB_ARGS=--version")  # (prepare: a minute under load)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^\d+\.\d+\.\d+$", done.stdout, re.M), done.stdout
    assert {p.name for p in (unpacked / "work").iterdir()} >= set(CHAPTERS) | {"course"}


# --- readable student notebooks (jupyterlab-myst; the release step in course/publish/release.py) -----

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
# Figures that measure the machine (durations, throughput, ratios of times): they differ from run to run.
MACHINE_FIGURE = release.MACHINE_FIGURE


def student(chapter: str):
    return nbformat.read(NOTEBOOKS / chapter / f"{chapter}.ipynb", as_version=4)


def glued_names(chapter: str) -> set[str]:
    """Names the source notebook records with record("name", ...) or record_interval("prefix", ...)."""
    nb = nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    names = set(re.findall(r"""\brecord\(\s*f?["']([^"']+)["']""", text))
    prefixes = set(re.findall(r"""\brecord_interval\(\s*f?["']([^"']+)["']""", text))
    return names | prefixes | {prefix + "_{field}" for prefix in prefixes}


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
    assert "from recsys_helpers.recording import glued, use_course_figures" in first.source
    assert f'use_course_figures("{chapter}.ipynb")' in first.source, "the setup cell reads its own notebook"
    assert max(len(line) for line in first.source.splitlines()) <= 88


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_notebook_carries_the_course_figures_it_quotes(chapter):
    """Before any cell has run, every quoted figure has the course's value (metadata for the kernel,
    user_expressions for jupyterlab-myst); from the first exercise on, no failure stops Run All."""
    from myst_nb.core.variables import format_plain_text

    nb = student(chapter)
    figures = nb.metadata[recording.COURSE_KEY]["figures"]
    executed = ROOT / "book" / "chapters" / f"{chapter}.ipynb"
    if executed.exists():  # the run the release embedded; figures that measure the machine differ per run
        site = release.course_figures(executed)
        stale = {name for name in figures if site.get(name) != figures[name] and not MACHINE_FIGURE.search(name)}
        assert not stale, f"{chapter}: the course figures {sorted(stale)} are stale: `make release`"
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        quoted = {name for _, name, _ in release.EVAL.findall(cell.source)}
        assert quoted <= set(figures), f"{chapter} cell {index}: no course value for {quoted - set(figures)}"
        shown = {e["expression"]: e["result"]["data"]["text/plain"] for e in cell.metadata.get("user_expressions", [])}
        assert shown == {expression: f"{format_plain_text(figures[name], fmt)} (course run)"
                         for expression, name, fmt in release.EVAL.findall(cell.source)}, f"{chapter} cell {index}"
    first_answer = next(i for i, c in enumerate(nb.cells) if is_answer_cell(c))
    untagged = [i for i, c in enumerate(nb.cells[first_answer:], first_answer)
                if c.cell_type == "code" and release.RUN_PAST_TAG not in c.metadata.get("tags", [])]
    assert not untagged, f"{chapter}: cells {untagged} would stop Run All"


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


def test_release_leaves_nbgrader_sources_untouched_and_embeds_the_course_figures():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("{glue:text}`x` and {glue:text}`share:.1%` and {glue:text}`new`"),
        nbformat.v4.new_markdown_cell("{glue:text}`y`", metadata={"nbgrader": {"grade_id": "q", "locked": True}}),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("def f():\n    raise NotImplementedError()",
                                  metadata={"nbgrader": {"grade_id": "a", "solution": True}}),
        nbformat.v4.new_markdown_cell("prose"),
        nbformat.v4.new_code_cell("f()"),
    ])
    figures = {"x": "1200", "share": "0.25", "y": "2", "unused": "3"}
    release.learner_notebook(nb, {}, release.download_hint(), "ch.ipynb", figures)
    assert nb.cells[1].source == "{glue:text}`y`" and "user_expressions" not in nb.cells[1].metadata
    assert nb.cells[2].metadata["tags"] == [release.SETUP_TAG] and nb.cells[3].source == "x = 1"
    assert 'use_course_figures("ch.ipynb")' in nb.cells[2].source
    assert nb.metadata[recording.COURSE_KEY] == {"figures": {"x": "1200", "share": "0.25"}}, "only quoted ones"
    shown = {e["expression"]: e["result"]["data"] for e in nb.cells[0].metadata["user_expressions"]}
    assert set(shown) == {'glued("x")', 'glued("share", ".1%")'}, "a figure the course lacks is left to the kernel"
    assert shown['glued("share", ".1%")']["text/plain"] == "25.0% (course run)"
    assert 'class="recsys-course-figure"' in shown['glued("share", ".1%")']["text/html"]
    assert [c.metadata.get("tags", []) for c in nb.cells[3:]] == [[], [release.RUN_PAST_TAG], [],
                                                                 [release.RUN_PAST_TAG]]
    release.learner_notebook(nb, {}, release.download_hint(), "ch.ipynb", figures)
    assert sum(release.SETUP_TAG in c.metadata.get("tags", []) for c in nb.cells) == 1
    assert nb.cells[4].metadata["tags"] == [release.RUN_PAST_TAG], "idempotent"


def test_setup_cell_says_what_to_install_when_the_package_is_missing():
    source = release.setup_source(release.download_hint("https://example.org/course"), "ch.ipynb")
    namespace: dict = {}
    broken = source.replace("from recsys_helpers.recording import", "from recsys_helpers_missing import")
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
    assert re.search(r"^jupyterlab-myst==\S+$", (ROOT / "requirements.txt").read_text(), re.M)
    installed = ROOT / ".venv" / "share" / "jupyter" / "labextensions" / "jupyterlab-myst"
    if (ROOT / ".venv").is_dir():
        assert installed.is_dir(), "jupyterlab-myst's lab extension is not installed in .venv"


@pytest.mark.chapters
def test_inline_figures_evaluate_after_running_the_solved_student_notebook(tmp_path):
    """Chapter 01's student notebook, solutions filled in, run as a learner's kernel would."""
    from nbclient import NotebookClient

    chapter = "01_basics"
    nb = build(student(chapter), solutions_of(nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb",
                                                            as_version=4)))
    expressions = sorted({e for c in nb.cells if c.cell_type == "markdown" for e in EVAL.findall(c.source)})
    assert expressions
    nb.cells.append(nbformat.v4.new_code_cell(  # the learner's figure, never the course's fallback
        "import json\nfrom recsys_helpers.recording import CourseFigure\n"
        "print(json.dumps({e: 'course' if isinstance(eval(e), CourseFigure) else str(eval(e))"
        " for e in " + repr(expressions) + "}))"))
    NotebookClient(nb, kernel_name="recsys-course", timeout=300,
                   resources={"metadata": {"path": str(NOTEBOOKS / chapter)}}).execute()
    shown = json.loads(nb.cells[-1].outputs[0]["text"])
    from recsys_helpers.recording import NOT_YET

    assert not [e for e, v in shown.items() if v in (NOT_YET, "course")], "figures never recorded"
    executed = ROOT / "book" / "chapters" / f"{chapter}.ipynb"
    site = release.course_figures(executed) if executed.exists() else {}
    from myst_nb.core.variables import format_plain_text

    for expression, value in shown.items():
        name, fmt = GLUED.match(expression).groups()
        if name in site and not name.endswith("run_seconds"):
            assert value == format_plain_text(site[name], fmt or ""), (expression, value, site[name])
