"""Checks every executed chapter must pass: current, error-free, quiet, every glued figure recorded."""

from __future__ import annotations

import re

import nbformat
import pytest

from conftest import CHAPTERS, EXECUTED, ROOT, execution_record, pipeline, recorded_figures

pytestmark = pytest.mark.chapters
GLUE_REFERENCE = re.compile(r"\{glue:(?:text|)\}`([^`:]+)")


def executed(chapter: str) -> nbformat.NotebookNode:
    return nbformat.read(EXECUTED / f"{chapter}.ipynb", as_version=4)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_executed_copy_is_current(chapter):
    source = ROOT / "solutions" / chapter / f"{chapter}.ipynb"
    current = pipeline.fingerprint(pipeline.chapter_inputs(source))
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
    assert f"{chapter[:2]}_run_seconds" in recorded_figures(chapter)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_site_copy_hides_solutions_and_hidden_tests(chapter):
    nb = executed(chapter)
    assert "student-notebook-link" in nb.cells[1].metadata.get("tags", [])
    for cell in nb.cells:
        assert "BEGIN HIDDEN TESTS" not in cell.source and "BEGIN SOLUTION" not in cell.source
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            assert "hide-input" in cell.metadata["tags"]
