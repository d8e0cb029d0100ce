"""The notebook vocabulary of the course, defined once for publishing and grading.

A source notebook (``solutions/NN_slug/NN_slug.ipynb``) marks its exercises the nbgrader way:

- an *answer cell* is a code cell with ``nbgrader.solution``; its reference solution sits between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION`` lines, which the release replaces by a stub;
- a *test cell* is a code cell with ``nbgrader.grade`` (and no ``solution``): the graded tests of
  the answer cells before it. Lines between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``
  run when grading and are shown to nobody;
- a *demo cell* (tag ``demo``) is a heavy demonstration that grading skips;
- a *model answer* (markdown cell tagged ``answer``) answers an ungraded question: the site shows
  it in a dropdown, the student notebook leaves it out.

The course's own per-cell grading options live beside nbgrader's, in ``metadata.grading``:
``forbid`` (dotted names an answer may not use) and ``seconds`` (the test cell's time limit).
Cells are nbformat nodes or plain dicts.
"""

from __future__ import annotations

import re

SOLUTION_BEGIN = "### BEGIN SOLUTION"
HIDDEN_TESTS_BEGIN = "### BEGIN HIDDEN TESTS"
MARK_SCHEME_BEGIN = "### BEGIN MARK SCHEME"
# What must never reach a learner: a file holding one of these came from an unreleased notebook.
INSTRUCTOR_MARKERS = (SOLUTION_BEGIN, HIDDEN_TESTS_BEGIN, MARK_SCHEME_BEGIN)

SOLUTION_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[^\n]*\n?", re.M)  # one marker line
HIDDEN_BLOCK = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[^\n]*\n?", re.S | re.M)

DEMO_TAG = "demo"
MODEL_ANSWER_TAG = "answer"


def grading_of(cell) -> dict:
    """nbgrader's metadata of ``cell`` (``grade_id``, ``solution``, ``grade``, ``points``...); {} if none."""
    return cell.get("metadata", {}).get("nbgrader", {})


def options_of(cell) -> dict:
    """The course's grading options of ``cell`` (``forbid``, ``seconds``); {} if none."""
    return cell.get("metadata", {}).get("grading", {})


def tags_of(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def has_grading(cell) -> bool:
    """True for any cell nbgrader tracks (answer, test, or a locked or graded markdown cell)."""
    return bool(grading_of(cell))


def is_answer_cell(cell) -> bool:
    """A code cell holding a solution (``nbgrader.solution``)."""
    return cell.get("cell_type") == "code" and bool(grading_of(cell).get("solution"))


def is_test_cell(cell) -> bool:
    """A code cell of graded tests (``nbgrader.grade`` without ``solution``)."""
    info = grading_of(cell)
    return cell.get("cell_type") == "code" and bool(info.get("grade")) and not info.get("solution")


def is_demo_cell(cell) -> bool:
    """A cell tagged ``demo``: skipped when grading."""
    return DEMO_TAG in tags_of(cell)


def is_model_answer(cell) -> bool:
    """A markdown cell tagged ``answer``: a question's model answer, left out of the student notebook."""
    return cell.get("cell_type") == "markdown" and MODEL_ANSWER_TAG in tags_of(cell)


def without_solution_markers(source: str) -> str:
    """An answer cell's source with its ``### BEGIN/END SOLUTION`` lines removed (the solution stays)."""
    return SOLUTION_MARKER.sub("", source)


def visible_tests(source: str, note: str) -> str:
    """A test cell's source without its hidden tests; ``note`` (a comment line) is appended where
    some were removed, so a reader knows more tests ran."""
    stripped = HIDDEN_BLOCK.sub("", source).rstrip()
    if stripped != source.rstrip():
        stripped += f"\n{note}"
    return stripped


def hidden_line_numbers(source: str) -> set[int]:
    """1-based numbers of the lines of ``source`` inside hidden-test blocks, markers included."""
    lines: set[int] = set()
    for match in HIDDEN_BLOCK.finditer(source):
        first = source.count("\n", 0, match.start()) + 1
        last = source.count("\n", 0, match.end() - 1) + 1
        lines.update(range(first, last + 1))
    return lines
