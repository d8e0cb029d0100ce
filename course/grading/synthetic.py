"""Generated submissions of a chapter, for the grading tests and the grading benchmark.

From a chapter's source notebook, its student release and its cases file
(``tests/grading/cases/NN_slug.py``: per solution cell, other correct answers and plausible wrong
ones) this builds a blank submission, the solution, one submission per alternative and one per
wrong answer, each with the points every test cell must end with.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from course.cells import grading_of, is_answer_cell, is_test_cell, without_solution_markers

Plan = dict[str, tuple[nbformat.NotebookNode, dict[str, float]]]  # student -> (notebook, points per test)


def load_cases(course: Path, chapter: str) -> dict:
    """``CASES`` of ``tests/grading/cases/<chapter>.py`` in the course, or {} when it has none."""
    path = course / "tests" / "grading" / "cases" / f"{chapter}.py"
    if not path.exists():
        return {}
    spec = importlib.util.spec_from_file_location(f"cases_{chapter}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CASES


def exercises_of(source: nbformat.NotebookNode) -> dict[str, list[str]]:
    """test grade_id -> the grade_ids of the solution cells it grades."""
    graded, pending = {}, []
    for cell in source.cells:
        if is_answer_cell(cell):
            pending.append(grading_of(cell)["grade_id"])
        elif is_test_cell(cell):
            graded[grading_of(cell)["grade_id"]] = pending
            pending = []
    return graded


def points_of(source: nbformat.NotebookNode) -> dict[str, float]:
    return {grading_of(c)["grade_id"]: float(grading_of(c)["points"]) for c in source.cells if is_test_cell(c)}


def solutions_of(source: nbformat.NotebookNode) -> dict[str, str]:
    """solution cell grade_id -> the reference answer, markers removed."""
    return {grading_of(c)["grade_id"]: without_solution_markers(c.source) for c in source.cells if is_answer_cell(c)}


def build(release: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The student release with the given solution cells filled in."""
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        grade_id = grading_of(cell).get("grade_id")
        if is_answer_cell(cell) and grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def class_plan(source: nbformat.NotebookNode, release: nbformat.NotebookNode, cases: dict) -> Plan:
    """blank, solution, correctJ and wrongJ submissions with their expected points."""
    full, solved, graded = points_of(source), solutions_of(source), exercises_of(source)
    students: Plan = {
        "blank": (build(release, {}), dict.fromkeys(full, 0.0)),
        "solution": (build(release, solved), dict(full)),
    }
    if not cases:
        return students
    for j in range(max(len(c.get("correct", [])) for c in cases.values())):
        answers = {gid: c["correct"][j] for gid, c in cases.items() if j < len(c.get("correct", []))}
        students[f"correct{j + 1}"] = (build(release, {**solved, **answers}), dict(full))
    for j in range(max(len(c.get("wrong", {})) for c in cases.values())):
        answers = {gid: list(c["wrong"].values())[j] for gid, c in cases.items() if j < len(c.get("wrong", {}))}
        expected = {test: 0.0 if set(ids) & set(answers) else full[test] for test, ids in graded.items()}
        students[f"wrong{j + 1}"] = (build(release, {**solved, **answers}), expected)
    return students


def scratch_course(root: Path, course: Path, chapters: list[str]) -> None:
    """Copy what grading needs from ``course`` into ``root`` and release ``chapters`` there."""
    shutil.copy(course / "nbgrader_config.py", root)
    # nbgrader's pipeline (the release step, the sandboxed tests) comes from the installed `course`
    shutil.copytree(course / "solutions", root / "solutions", ignore=shutil.ignore_patterns("__pycache__"))
    # the release step (course/publish/release.py) reads the bibliography, the errata and _config.yml
    (root / "book").mkdir(exist_ok=True)
    for name in ("book/references.bib", "book/errata.md", "_config.yml"):
        shutil.copy(course / name, root / name)
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    for chapter in chapters:
        subprocess.run(
            [str(bin_dir / "nbgrader"), "generate_assignment", chapter, "--force"],
            cwd=root, env=env, check=True, capture_output=True,
        )


def submit(root: Path, chapter: str, student: str, nb: nbformat.NotebookNode) -> None:
    folder = root / "submitted" / student / chapter
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{chapter}.ipynb")
