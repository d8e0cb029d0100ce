"""Tests of the pipeline step that turns an executed source notebook into the page a reader sees."""

import nbformat
import pytest

from conftest import ROOT
from conftest import pipeline as execute_chapters


def grading(grade_id, **extra):
    return {"grade_id": grade_id, "locked": False, "schema_version": 3, "task": False, **extra}


@pytest.fixture
def page():
    nb = nbformat.v4.new_notebook()
    solution = nbformat.v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION")
    solution.metadata["nbgrader"] = grading("f", solution=True, grade=False)
    tests = nbformat.v4.new_code_cell('"""f doubles."""\nassert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(5) == 10\n### END HIDDEN TESTS')
    tests.metadata["nbgrader"] = grading("f_tests", solution=False, grade=True, points=1)
    answer = nbformat.v4.new_markdown_cell("Because it doubles.")
    answer.metadata["tags"] = ["answer"]
    nb.cells = [nbformat.v4.new_markdown_cell("# 01 Title"), solution, tests, answer]
    return execute_chapters.prepare_for_site(nb, "01_demo")


def test_solution_code_is_folded_without_its_markers(page):
    solution = page.cells[2]
    assert solution.source == "def f(x):\n    return 2 * x\n"
    assert "hide-input" in solution.metadata["tags"]
    assert solution.metadata["mystnb"]["code_prompt_show"] == "Show solution"


def test_hidden_tests_are_stripped_and_visible_ones_kept(page):
    tests = page.cells[3].source
    assert "f(1) == 2" in tests
    assert "f(5)" not in tests and "HIDDEN" not in tests


def test_answers_become_dropdowns_and_the_student_notebook_is_linked(page):
    assert page.cells[4].source.startswith(":::{admonition} A model answer\n:class: dropdown")
    link = page.cells[1].source
    assert "{download}`student notebook <../../notebooks/01_demo/01_demo.ipynb>`" in link


def test_fingerprint_covers_notebook_helpers_and_pins(tmp_path):
    source = ROOT / "solutions" / "01_basics" / "01_basics.ipynb"
    inputs = execute_chapters.chapter_inputs(source)
    assert source in inputs and ROOT / "requirements.txt" in inputs
    assert ROOT / "recsys_helpers" / "metrics.py" in inputs
    first, second = tmp_path / "a.ipynb", tmp_path / "b.py"
    first.write_text("{}")
    second.write_text("x = 1")
    before = execute_chapters.fingerprint([first, second])
    second.write_text("x = 2")
    assert execute_chapters.fingerprint([first, second]) != before


def test_appendix_pages_have_no_student_notebook_link():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Appendix"), nbformat.v4.new_code_cell("x = 1")]
    page = execute_chapters.prepare_for_site(nb, "A_demo", student_notebook=False)
    assert len(page.cells) == 2
    assert not any("student-notebook-link" in c.metadata.get("tags", []) for c in page.cells)


def test_appendix_fingerprint_covers_its_extra_inputs(tmp_path):
    source = execute_chapters.APPENDICES / "A_tools" / "A_tools.ipynb"
    inputs = execute_chapters.chapter_inputs(source)
    assert ROOT / "requirements-recbole.txt" in inputs and ROOT / "scripts" / "recbole_run.py" in inputs
    chapter = ROOT / "solutions" / "01_basics" / "01_basics.ipynb"
    assert ROOT / "requirements-recbole.txt" not in execute_chapters.chapter_inputs(chapter)
    present, absent = tmp_path / "a.txt", tmp_path / "b.txt"
    present.write_text("")
    before = execute_chapters.fingerprint([present, absent])
    absent.write_text("")
    assert execute_chapters.fingerprint([present, absent]) != before
