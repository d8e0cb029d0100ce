"""nbgrader checks for every chapter (assignment).

- the committed student notebooks are exactly what ``nbgrader generate_assignment`` makes (but for
  the course's figures they carry, checked in tests/test_learner_lab.py);
- every chapter has at least five graded exercises;
- ``nbgrader validate`` passes on every source notebook (as executed for the site).

Grading itself -- blank, solution, alternative and wrong answers, attacks -- is checked through
``make autograde``'s command in ``tests/test_grading.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.preprocessors import CheckCellMetadata
from nbgrader.validator import Validator
from traitlets.config import Config

from conftest import CHAPTERS, EXECUTED, ROOT
from course.cells import grading_of
from recsys_helpers.recording import COURSE_KEY

pytestmark = pytest.mark.nbgrader
BIN = Path(sys.executable).parent


def nbgrader(*args: str, cwd: Path) -> None:
    """Run an nbgrader command in ``cwd``; fail with its log when it fails."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # it calls alembic
    done = subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode:
        pytest.fail(f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def graded_cells(path: Path) -> dict[str, float]:
    """grade_id -> points of every autograded test cell in a notebook."""
    nb = nbformat.read(path, as_version=4)
    return {
        grading_of(cell)["grade_id"]: grading_of(cell)["points"]
        for cell in nb.cells
        if grading_of(cell).get("grade")
    }


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A scratch copy of the course with every assignment released."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "solutions", root / "solutions")
    # the release step reads the bibliography, the errata, the site address and the course's figures
    # from the executed copies (course/publish/release.py)
    (root / "book" / "chapters").mkdir(parents=True)
    for name in ("references.bib", "errata.md"):
        shutil.copy(ROOT / "book" / name, root / "book" / name)
    for chapter in CHAPTERS:
        if (EXECUTED / f"{chapter}.ipynb").exists():
            shutil.copy(EXECUTED / f"{chapter}.ipynb", root / "book" / "chapters")
    shutil.copy(ROOT / "_config.yml", root)
    for chapter in CHAPTERS:
        nbgrader("generate_assignment", chapter, "--force", cwd=root)
    return root


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_notebook_is_the_generated_release(course, chapter):
    committed = sorted(p.name for p in (ROOT / "notebooks" / chapter).iterdir())
    generated = sorted(p.name for p in (course / "notebooks" / chapter).iterdir())
    assert committed == generated, "run `make release`: the student folder differs"
    for name in generated:
        mine = without_course_figures(json.loads((ROOT / "notebooks" / chapter / name).read_text()))
        fresh = without_course_figures(json.loads((course / "notebooks" / chapter / name).read_text()))
        assert mine == fresh, f"notebooks/{chapter}/{name} is stale: run `make release`"


def without_course_figures(nb: dict) -> dict:
    """A student notebook without the course's figures it carries: they come from the executed copy,
    whose timings differ from run to run (tests/test_learner_lab.py compares the others)."""
    nb["metadata"].pop(COURSE_KEY, None)
    for cell in nb["cells"]:
        cell["metadata"].pop("user_expressions", None)
    return nb


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_has_graded_exercises(chapter):
    points = graded_cells(ROOT / "solutions" / chapter / f"{chapter}.ipynb")
    assert len(points) >= 5, f"{chapter} has {len(points)} graded test cells, expected at least 5"
    assert all(p > 0 for p in points.values())


def validator(**options) -> Validator:
    config = Config()
    config.Execute.timeout = 300
    return Validator(config=config, **options)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_passes_its_tests(chapter):
    # One execution feeds everything: validate the copy papermill executed for the site instead of
    # executing the source a second time (papermill already stops on any failing cell).
    executed = EXECUTED / f"{chapter}.ipynb"
    if not executed.exists():
        pytest.fail(f"{executed.relative_to(ROOT)} is missing: run `make execute` first")
    results = validator(preprocessors=[CheckCellMetadata]).validate(str(executed))
    assert results == {}, results
