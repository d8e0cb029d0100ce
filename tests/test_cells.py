"""The notebook vocabulary (course.cells): which cell is which, and what the markers remove."""

import nbformat

from course import cells


def code(source="", *, tags=(), **nbgrader):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = list(tags)
    if nbgrader:
        cell.metadata["nbgrader"] = nbgrader
    return cell


def test_each_cell_kind_is_recognised_once():
    answer = code("x = 1", grade_id="a", solution=True, grade=False)
    test = code("assert x", grade_id="t", solution=False, grade=True, points=1)
    graded_answer = code("y = 2", grade_id="g", solution=True, grade=True, points=1)  # nbgrader's autograded answer
    demo = code("train()", tags=["demo"])
    model_answer = nbformat.v4.new_markdown_cell("Because ...")
    model_answer.metadata["tags"] = ["answer"]
    plain = code("z = 3")
    kinds = {
        name: (cells.is_answer_cell(c), cells.is_test_cell(c), cells.is_demo_cell(c), cells.is_model_answer(c))
        for name, c in [("answer", answer), ("test", test), ("graded_answer", graded_answer), ("demo", demo),
                        ("model_answer", model_answer), ("plain", plain)]
    }
    assert kinds == {
        "answer": (True, False, False, False),
        "test": (False, True, False, False),
        "graded_answer": (True, False, False, False),
        "demo": (False, False, True, False),
        "model_answer": (False, False, False, True),
        "plain": (False, False, False, False),
    }
    assert cells.has_grading(test) and not cells.has_grading(plain)
    assert cells.grading_of(plain) == {} and cells.options_of(plain) == {}
    assert cells.is_answer_cell({"cell_type": "code", "metadata": {"nbgrader": {"solution": True}}}), "plain dicts too"


def test_markers_are_removed_and_hidden_lines_numbered():
    answer = "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
    assert cells.without_solution_markers(answer) == "def f(x):\n    return 2 * x\n"
    tests = "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(5) == 10\n### END HIDDEN TESTS\n"
    assert cells.visible_tests(tests, "# more") == "assert f(1) == 2\n# more"
    assert cells.visible_tests("assert f(1) == 2\n", "# more") == "assert f(1) == 2", "no note without hidden tests"
    assert cells.hidden_line_numbers(tests) == {2, 3, 4}
    assert all(marker.startswith("### BEGIN ") for marker in cells.INSTRUCTOR_MARKERS)
