"""Feedback that says why (issue 20.2): course/grading/feedback.py, under ``nbgrader generate_feedback``.

A unit check of the preprocessor on a hand-made graded notebook, then chapter 01 graded through the
instructor's commands (``python -m course.grading.batch``, ``nbgrader generate_feedback``) for a
blank, a wrong and a correct submission: every test's verdict and the checker's message are on the
page, hidden test code and raw ``{eval}`` are not, and the prose shows the figures.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import EXECUTED, ROOT
from course.cells import HIDDEN_BLOCK, grading_of, is_test_cell
from course.grading.feedback import ReadableFeedback
from course.grading.synthetic import class_plan, load_cases, scratch_course, submit
from recsys_helpers.recording import COURSE_KEY

BIN = Path(sys.executable).parent
CHAPTER = "01_basics"


def graded_notebook() -> nbformat.NotebookNode:
    def test_cell(grade_id: str, points: float):
        return nbformat.v4.new_code_cell("assert f(1) == 2", metadata={"nbgrader": {
            "grade": True, "solution": False, "grade_id": grade_id, "points": points}})

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell('Share {eval}`glued("share", ".1%")`, mine {eval}`glued("n")`, '
                                      'gone {eval}`glued("lost")`.', metadata={"user_expressions": [
                                          {"expression": 'glued("n")', "result": {
                                              "status": "ok", "data": {"text/plain": "<b>12</b>"}}}]}),
        test_cell("ok", 1), test_cell("half", 2), test_cell("bad", 2),
        nbformat.v4.new_markdown_cell("::::{tab-set}\n:::{tab-item} PyTorch\nuse torch\n:::\n::::"),
    ])
    nb.metadata[COURSE_KEY] = {"figures": {"share": "0.25"}}
    nb.metadata["grading"] = {"report": {
        "verdicts": {"ok": {"passed": True, "message": "", "points": 1.0},
                     "half": {"passed": False, "message": "part 'edges' failed: expected 0", "points": 1.0},
                     "bad": {"passed": False, "message": "expected 0.25, got 4.0 <oops>", "points": 0.0}},
        "cell_errors": {}, "restored": {"bad": "edited, restored"}}}
    return nb


def test_feedback_preprocessor_shows_verdicts_messages_and_figures():
    nb, _ = ReadableFeedback().preprocess(graded_notebook(), {})
    summary, prose, tabs = nb.cells[0].source, nb.cells[1].source, nb.cells[-1].source
    assert summary.startswith("## What the tests found")
    for grade_id in ("ok", "half", "bad"):
        assert f'href="#{grade_id}"' in summary
    assert "Passed (1 / 1 points)" in summary and "Partly passed (1 / 2 points)" in summary
    assert "Failed (0 / 2 points)" in summary and "expected 0.25, got 4.0 &lt;oops&gt;" in summary
    assert "Note: this test cell was edited, restored before grading." in summary
    bad = nb.cells[4].outputs
    assert len(bad) == 1 and bad[0]["data"]["text/plain"].startswith("Failed (0 / 2 points)\nNote:")
    assert "{eval}" not in prose and "glued(" not in prose
    assert 'class="recsys-course-figure"' in prose and ">25.0%</span>" in prose, "the course's value, marked"
    assert "mine &lt;b&gt;12&lt;/b&gt;," in prose, "the student's own value, as text"
    assert "gone [run the cells above" in prose
    assert tabs.split() == ["**PyTorch**", "use", "torch"]


def test_feedback_passes_over_metadata_edited_into_another_shape():
    nb = graded_notebook()
    nb.cells[0].metadata["user_expressions"] = [{"expression": 'glued("n")', "result": {"status": "ok", "data": 3}},
                                                "junk", {"expression": 5}]
    nb.metadata[COURSE_KEY] = {"figures": {"share": "'not a number'"}}
    prose = ReadableFeedback().preprocess(nb, {})[0].cells[1].source
    assert "Share &#x27;not a number&#x27;, mine [run the cells above" in prose
    nb = graded_notebook()
    nb.metadata[COURSE_KEY] = ["edited"]
    nb.cells[0].metadata["user_expressions"] = {"not": "a list"}
    assert "Share [run the cells above" in ReadableFeedback().preprocess(nb, {})[0].cells[1].source


def nbgrader(*args: str, cwd: Path) -> None:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def feedback(tmp_path_factory):
    """student -> (feedback page as text, the autograded notebook), for blank, wrong1 and solution."""
    root = tmp_path_factory.mktemp("feedback")
    (root / "book" / "chapters").mkdir(parents=True)
    if (EXECUTED / f"{CHAPTER}.ipynb").exists():  # the release embeds the course's figures from it
        shutil.copy(EXECUTED / f"{CHAPTER}.ipynb", root / "book" / "chapters")
    scratch_course(root, ROOT, [CHAPTER])
    source = nbformat.read(ROOT / "solutions" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    release = nbformat.read(root / "notebooks" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    plan = class_plan(source, release, load_cases(ROOT, CHAPTER))
    for student in ("blank", "wrong1", "solution"):
        submit(root, CHAPTER, student, plan[student][0])
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run([sys.executable, "-m", "course.grading.batch", "--jobs", "2"], cwd=root, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    nbgrader("generate_feedback", CHAPTER, cwd=root)
    pages = {}
    for student in ("blank", "wrong1", "solution"):
        page = (root / "feedback" / student / CHAPTER / f"{CHAPTER}.html").read_text(encoding="utf-8")
        graded = nbformat.read(root / "autograded" / student / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
        pages[student] = (html.unescape(re.sub(r"<[^>]+>", " ", page)), graded)
    return pages


@pytest.mark.nbgrader
@pytest.mark.parametrize("student", ["blank", "wrong1", "solution"])
def test_feedback_gives_every_verdict_and_message(feedback, student):
    text, graded = feedback[student]
    verdicts = graded.metadata["grading"]["report"]["verdicts"]
    tests = [grading_of(c)["grade_id"] for c in graded.cells if is_test_cell(c)]
    assert set(verdicts) == set(tests) and tests
    flat = " ".join(text.split())
    for grade_id, verdict in verdicts.items():
        assert grade_id in flat
        for line in verdict["message"].splitlines():
            assert " ".join(line.split()) in flat, f"{student} {grade_id}: message missing: {line}"
    failed = [v for v in verdicts.values() if not v["passed"]]
    assert flat.count("Failed (") == 2 * len(failed), "each failure in the summary and at its test"
    assert flat.count("Passed (") == 2 * (len(verdicts) - len(failed))
    if student == "solution":
        assert not failed
    else:  # blank, and wrong1 (a wrong answer to every exercise)
        assert len(failed) == len(verdicts)
    if student == "wrong1":
        blank = feedback["blank"][1].metadata["grading"]["report"]["verdicts"]
        assert all(verdicts[k]["message"] != blank[k]["message"] for k in verdicts), "wrong is not blank"


@pytest.mark.nbgrader
@pytest.mark.parametrize("student", ["blank", "wrong1", "solution"])
def test_feedback_renders_the_prose_and_hides_the_hidden_tests(feedback, student):
    text, graded = feedback[student]
    assert "{eval}" not in text and "glued(" not in text
    if (EXECUTED / f"{CHAPTER}.ipynb").exists():
        assert "MovieLens-100k is 0.937 sparse" in " ".join(text.split()), "the course's figure"
    source = nbformat.read(ROOT / "solutions" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    hidden = {line.strip() for cell in source.cells if is_test_cell(cell)
              for block in HIDDEN_BLOCK.findall(cell.source) for line in block.splitlines()
              if len(line.strip()) > 25 and "HIDDEN TESTS" not in line}
    visible = "\n".join(HIDDEN_BLOCK.sub("", c.source) for c in source.cells)
    assert not [line for line in hidden if line not in visible and line in text]
