"""Mutation testing of the reference solutions (issue 20.15): course/grading/mutants.py and its record.

The runner's mutants of a small answer, a weak test that lets a mutant survive and a strong one that
kills it (graded in the sandbox), and the recorded run (benchmarks/mutants.json): every survivor is
explained in tests/grading/equivalent_mutants.py and every explanation names a recorded survivor.
"""

from __future__ import annotations

import json

import nbformat
import pytest

from conftest import ROOT
from course.grading.mutants import RECORD, equivalent_mutants, mutations, run_chapter, score


def test_the_mutants_of_a_small_answer():
    source = "def f(x, k=2):\n    '''A docstring with 3 is text.'''\n    return x + k if x > 0 else -x\n"
    changes = {m.description.split(": ", 1)[1].split(" in ")[0]: m.source for m in mutations("a", source)}
    assert set(changes) == {"2 -> 3", "2 -> 1", "Gt -> GtE", "Add -> Sub", "USub dropped", "0 -> 1", "0 -> -1"}
    assert "x - k if x > 0" in changes["Add -> Sub"] and "else x\n" in changes["USub dropped"] + "\n"
    assert all("A docstring with 3 is text." in s for s in changes.values()), "docstrings are never mutated"
    same_line = mutations("b", "y = a + b + c\n")
    assert [m.description for m in same_line] == ["b line 1: Add -> Sub in `y = a + b + c`",
                                                  "b line 1: Add -> Sub in `y = a + b + c` (#2)"]
    assert mutations("c", "import numpy as np\n") == []


def tiny_course(tmp_path, test_source: str):
    reference = "def plus_one(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n"
    answer = nbformat.v4.new_code_cell(reference)
    answer.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False, "grade_id": "ex",
                                   "schema_version": 3}
    test = nbformat.v4.new_code_cell(test_source)
    test.metadata["nbgrader"] = {"solution": False, "grade": True, "locked": True, "points": 1,
                                 "grade_id": "ex_tests", "schema_version": 3}
    nb = nbformat.v4.new_notebook(cells=[answer, test])
    for folder in ("solutions", "notebooks"):  # the release's answer cells are replaced anyway
        (tmp_path / folder / "99_tiny").mkdir(parents=True)
        nbformat.write(nb, tmp_path / folder / "99_tiny" / "99_tiny.ipynb")
    return run_chapter("99_tiny", course=tmp_path, log=lambda *_: None)


def test_a_weak_test_lets_a_mutant_survive_and_a_strong_one_kills_every_mutant(tmp_path):
    weak = tiny_course(tmp_path / "weak", "assert plus_one(1) > 1\n")
    # x - 1 gives 0 and 1 -> 0 gives 1: caught; 1 -> 2 gives 3 > 1: survives
    assert (weak["mutants"], weak["killed"]) == (3, 2)
    assert weak["survived"] == ["ex line 2: 1 -> 2 in `return x + 1`"]
    assert score(weak, {}) == pytest.approx(2 / 3)
    assert score(weak, {"ex line 2: 1 -> 2 in `return x + 1`": "explained"}) == 1.0
    strong = tiny_course(tmp_path / "strong", "assert plus_one(1) == 2\n")
    assert (strong["mutants"], strong["killed"], strong["survived"]) == (3, 3, [])


def test_every_recorded_survivor_is_explained_and_every_explanation_is_recorded():
    record = json.loads(RECORD.read_text())
    equivalent = equivalent_mutants(ROOT)
    assert set(equivalent) <= set(record), "an explanation for a chapter with no recorded run"
    for chapter, result in record.items():
        assert (ROOT / "solutions" / chapter).is_dir(), chapter
        explained = equivalent.get(chapter, {})
        open_ones = [d for d in result["survived"] if d not in explained]
        assert not open_ones, f"{chapter}: survivors to kill with a test or explain:\n" + "\n".join(open_ones)
        stale = [d for d in explained if d not in result["survived"]]
        assert not stale, f"{chapter}: explanations of mutants that no longer survive:\n" + "\n".join(stale)
        assert result["killed"] + len(result["survived"]) == result["mutants"] > 0
        assert result["score"] == pytest.approx(score(result, explained), abs=1e-3)
