"""Checks every executed chapter must pass: current, error-free, quiet, every glued figure recorded."""

from __future__ import annotations

import math
import os
import re

import nbformat
import pytest

from conftest import CHAPTERS, EXECUTED, ROOT, execution_record, recorded_figures
from course.cells import is_answer_cell
from course.publish import execute

pytestmark = pytest.mark.chapters
GLUE_REFERENCE = re.compile(r"\{glue:(?:text|)\}`([^`:]+)")
# Chapters and appendices (the appendices only when no COURSE_CHAPTERS selection is set).
EXECUTED_NOTEBOOKS = CHAPTERS + [s.stem for s in execute.appendix_sources() if not os.environ.get("COURSE_CHAPTERS")]
# What an executed page may carry: text, images, HTML and plain data. Anything else (an ipywidgets
# view, JavaScript, a Vega or Plotly spec) needs a script, and myst-nb fetches those from CDNs.
STATIC_MIME_TYPES = {
    "text/plain", "text/html", "text/markdown", "text/latex",
    "image/png", "image/jpeg", "image/svg+xml", "application/json",
}
GLUE_MIME_PREFIX = "application/papermill.record/"
EXTERNAL_SCRIPT = re.compile(r"<script[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//", re.I)


def executed(chapter: str) -> nbformat.NotebookNode:
    return nbformat.read(EXECUTED / f"{chapter}.ipynb", as_version=4)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_executed_copy_is_current(chapter):
    source = ROOT / "solutions" / chapter / f"{chapter}.ipynb"
    current = execute.fingerprint(execute.chapter_inputs(source))
    assert execution_record(chapter)["fingerprint"] == current, "run `make execute`"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_errors_warnings_or_stderr(chapter):
    for index, cell in enumerate(executed(chapter).cells):
        for output in cell.get("outputs", []):
            assert output.output_type != "error", f"cell {index} raised {output.get('ename')}"
            assert not (output.output_type == "stream" and output.name == "stderr"), (
                f"cell {index} wrote to stderr: {output.text[:300]}"
            )


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_figure_in_the_text_is_recorded(chapter):
    referenced = {
        name
        for cell in executed(chapter).cells
        if cell.cell_type == "markdown"
        for name in GLUE_REFERENCE.findall(cell.source)
    }
    assert referenced, "a chapter states its numbers with {glue:text}"
    missing = referenced - set(recorded_figures(chapter))
    assert not missing, f"the text cites figures the notebook never recorded: {sorted(missing)}"
    assert all(name.startswith(chapter[:3]) for name in referenced), "glue names start with the chapter number"
    seconds = recorded_figures(chapter).get(f"{chapter[:2]}_run_seconds")
    assert isinstance(seconds, (int, float)) and math.isfinite(seconds) and seconds > 0, f"run time: {seconds!r}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_site_copy_hides_solutions_and_hidden_tests(chapter):
    nb = executed(chapter)
    assert "student-notebook-link" in nb.cells[1].metadata.get("tags", [])
    for cell in nb.cells:
        assert "BEGIN HIDDEN TESTS" not in cell.source and "BEGIN SOLUTION" not in cell.source
        if is_answer_cell(cell):
            assert "hide-input" in cell.metadata["tags"]


@pytest.mark.parametrize("notebook", EXECUTED_NOTEBOOKS)
def test_outputs_are_static_and_need_nothing_from_another_host(notebook):
    """No widget, script or other output that a page renders only with code from a CDN.

    A tqdm progress bar in a notebook kernel is an ipywidgets output: the cause of an offline site
    that fetched require.js on a fresh machine. The offending cell is named here, not in the HTML.
    """
    nb = nbformat.read(EXECUTED / f"{notebook}.ipynb", as_version=4)
    assert "widgets" not in nb.metadata, "the notebook stores widget state (a progress bar?)"
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            for mime, content in output.get("data", {}).items():
                kind = mime.removeprefix(GLUE_MIME_PREFIX)
                assert kind in STATIC_MIME_TYPES, f"cell {index} has a {mime} output"
                if kind == "text/html":
                    html = "".join(content) if isinstance(content, list) else content
                    assert not EXTERNAL_SCRIPT.search(html), f"cell {index}'s HTML loads a remote script"
