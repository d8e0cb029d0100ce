"""Grading a class through the instructor's own commands, on generated submissions.

One scratch course holds, for every chapter, a blank submission, the solution, the alternative
correct answers and the plausible wrong answers of ``tests/grading/cases/NN_slug.py``, and for
chapter 01 the attacks of ``tests/grading/attacks.py``. ``python -m course.grading.batch`` (what
``make autograde`` runs) grades them all once; the tests then read the gradebook:

- blank -> 0 for every exercise; the solution -> full marks;
- every alternative correct answer -> the exercise's points; every wrong one -> none;
- every attack -> no points gained, nobody else affected, no process left behind;
- neither the autograded notebooks nor the feedback carry a hidden test.
"""

from __future__ import annotations

import csv
import html
import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import CHAPTERS, ROOT
from course.cells import HIDDEN_BLOCK, grading_of, is_test_cell
from course.grading.synthetic import build, class_plan, load_cases, scratch_course, solutions_of, submit

pytestmark = pytest.mark.nbgrader
BIN = Path(sys.executable).parent
TEST_SECONDS = "15"  # a looping answer costs this long here (60 s per test, 120 s per cell in a class)


def load_module(path: Path):
    """A data file of tests/grading/ (no package: submissions written as source strings), by path."""
    spec = importlib.util.spec_from_file_location(path.stem.replace("-", "_"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cases_of(chapter: str) -> dict:
    return load_cases(ROOT, chapter)


ATTACKS = load_module(ROOT / "tests" / "grading" / "attacks.py")
needs_attacks = pytest.mark.skipif(
    ATTACKS.ASSIGNMENT not in CHAPTERS, reason=f"the attacks target {ATTACKS.ASSIGNMENT}, not selected"
)


def source_notebook(chapter: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)


def attack_plan(release: nbformat.NotebookNode, root: Path) -> dict[str, tuple[nbformat.NotebookNode, dict]]:
    chapter = ATTACKS.ASSIGNMENT
    solved = solutions_of(source_notebook(chapter))
    students = {}
    for name, attack in ATTACKS.ATTACKS.items():
        answers = solved if attack["base"] == "solution" else {}
        answers = {**answers, **{k: v.replace("{root}", str(root)) for k, v in attack["answers"].items()}}
        nb = build(release, answers)
        first_code = next(  # the chapter's imports cell (not the release's setup cell)
            i for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and "import" in c.source and "course-setup" not in c.metadata.get("tags", [])
        )
        for offset, source in enumerate(attack["insert"]):
            nb.cells.insert(first_code + 2 + offset, nbformat.v4.new_code_cell(source.replace("{root}", str(root))))
        for cell in nb.cells:
            grade_id = grading_of(cell).get("grade_id")
            if grade_id in attack.get("edit_tests", {}):
                cell.source = attack["edit_tests"][grade_id]
        nb.cells = [c for c in nb.cells if grading_of(c).get("grade_id") not in attack.get("delete_tests", [])]
        students[f"attack_{name}"] = (nb, {k: float(v) for k, v in attack["points"].items()})
    return students


def leftover_processes(marker: str = "987654") -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline and "pytest" not in cmdline:
                found.append(f"{proc.name}: {cmdline}")
    return found


def nbgrader(*args: str, cwd: Path) -> None:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode:
        pytest.fail(f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A scratch course with every generated submission, graded once by ``make autograde``'s command."""
    root = tmp_path_factory.mktemp("class")
    scratch_course(root, ROOT, CHAPTERS)
    expected: dict[tuple[str, str], dict[str, float]] = {}
    for chapter in CHAPTERS:
        release = nbformat.read(root / "notebooks" / chapter / f"{chapter}.ipynb", as_version=4)
        students = class_plan(source_notebook(chapter), release, cases_of(chapter))
        if chapter == ATTACKS.ASSIGNMENT:
            students.update(attack_plan(release, root))
        for student, (nb, points) in students.items():
            submit(root, chapter, student, nb)
            expected[(student, chapter)] = points
    env = {
        **os.environ,
        "GRADING_TEST_SECONDS": TEST_SECONDS,
        "GRADING_CELL_SECONDS": TEST_SECONDS,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    }
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "course.grading.batch", "--jobs", "2"], cwd=root, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    time.sleep(4)  # give a detached process time to try its write
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        scores = {
            (student, chapter): {
                grade.name: grade.score
                for notebook in gradebook.find_submission(chapter, student).notebooks
                for grade in notebook.grades
                if grade.cell.cell_type == "code"
            }
            for (student, chapter) in expected
        }
    return {"root": root, "expected": expected, "scores": scores, "batch": done, "seconds": seconds}


def messages(root: Path, student: str, chapter: str) -> dict[str, str]:
    nb = nbformat.read(root / "autograded" / student / chapter / f"{chapter}.ipynb", as_version=4)
    return {k: v["message"] for k, v in nb.metadata["grading"]["report"]["verdicts"].items()}


def check(graded_class, chapter: str, prefix: str) -> None:
    wrong = []
    for (student, ch), points in graded_class["expected"].items():
        if ch != chapter or not student.startswith(prefix):
            continue
        got = graded_class["scores"][(student, ch)]
        for test, want in points.items():
            if got.get(test) != want:
                why = messages(graded_class["root"], student, ch).get(test, "")
                wrong.append(f"{student} {test}: expected {want}, got {got.get(test)} -- {why}")
    assert not wrong, "\n".join(wrong)


def test_the_batch_grades_everyone_and_succeeds(graded_class):
    batch = graded_class["batch"]
    assert batch.returncode == 0, batch.stdout + batch.stderr
    assert set(graded_class["scores"]) == set(graded_class["expected"])


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_blank_submission_scores_zero(graded_class, chapter):
    check(graded_class, chapter, "blank")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_scores_full_marks(graded_class, chapter):
    check(graded_class, chapter, "solution")
    nb = nbformat.read(graded_class["root"] / "autograded" / "solution" / chapter / f"{chapter}.ipynb", as_version=4)
    assert nb.metadata["grading"]["report"]["cell_errors"] == {}, "the solution's own cells fail in the sandbox"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_exercise_has_alternative_and_wrong_answers(chapter):
    cases, solved = cases_of(chapter), solutions_of(source_notebook(chapter))
    assert cases, f"tests/grading/cases/{chapter}.py is missing"
    for grade_id in solved:
        case = cases.get(grade_id, {})
        assert len(case.get("correct", [])) >= 2, f"{chapter} {grade_id}: at least two alternative correct answers"
        assert len(case.get("wrong", {})) >= 3, f"{chapter} {grade_id}: at least three plausible wrong answers"
    assert set(cases) <= set(solved), f"cases for unknown cells: {set(cases) - set(solved)}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_alternative_correct_answers_earn_the_points(graded_class, chapter):
    check(graded_class, chapter, "correct")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_plausible_wrong_answers_lose_the_points(graded_class, chapter):
    check(graded_class, chapter, "wrong")


@needs_attacks
@pytest.mark.parametrize("attack", sorted(ATTACKS.ATTACKS))
def test_attacks_gain_nothing(graded_class, attack):
    check(graded_class, ATTACKS.ASSIGNMENT, f"attack_{attack}")


@needs_attacks
def test_attacks_leave_no_process_behind(graded_class):
    assert leftover_processes() == []


@needs_attacks
def test_restored_test_cells_are_reported(graded_class):
    nb = nbformat.read(
        graded_class["root"] / "autograded" / "attack_edited_and_deleted_tests" / "01_basics" / "01_basics.ipynb",
        as_version=4,
    )
    restored = nb.metadata["grading"]["report"]["restored"]
    assert restored == {"ex1_sparsity_tests": "edited, restored", "ex2_head_share_tests": "deleted, added back"}
    notes = [line for line in graded_class["batch"].stdout.splitlines() if line.startswith("note:")]
    assert len(notes) == 2 and all("attack_edited_and_deleted_tests" in line for line in notes), notes


def test_feedback_and_autograded_notebooks_hold_no_hidden_test(graded_class):
    root = graded_class["root"]
    for chapter in CHAPTERS:
        nbgrader("generate_feedback", chapter, cwd=root)
    leaks = []
    for chapter in CHAPTERS:
        hidden = {
            line.strip()
            for cell in source_notebook(chapter).cells
            if is_test_cell(cell)
            for block in HIDDEN_BLOCK.findall(cell.source)
            for line in block.splitlines()
            if len(line.strip()) > 25 and "HIDDEN TESTS" not in line
        }
        visible = "\n".join(  # what the student sees anyway: cells and the visible part of tests
            HIDDEN_BLOCK.sub("", c.source) if is_test_cell(c) else c.source
            for c in source_notebook(chapter).cells
        )
        hidden = {line for line in hidden if line not in visible}
        files = list(root.glob(f"autograded/*/{chapter}/*.ipynb")) + list(root.glob(f"feedback/*/{chapter}/*.html"))
        assert files
        for path in files:
            text = html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))
            student = path.parent.parent.name
            submitted = nbformat.read(root / "submitted" / student / chapter / f"{chapter}.ipynb", as_version=4)
            own = "\n".join(c.source for c in submitted.cells if not is_test_cell(c))  # their own code
            if "HIDDEN TESTS" in text:
                leaks.append(f"{path.relative_to(root)}: hidden-test marker")
            leaks += [f"{path.relative_to(root)}: {line}" for line in hidden if line in text and line not in own]
    assert not leaks, "\n".join(leaks[:20])


def test_grades_tables_list_every_student_and_exercise(graded_class):
    root = graded_class["root"]
    nbgrader("export", "--to", "grades/grades.csv", cwd=root)  # what make grades runs
    subprocess.run([sys.executable, "-m", "course.grading.grades", "grades"], cwd=root, check=True,
                   capture_output=True)
    with (root / "grades" / "by_exercise.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    with (root / "grades" / "grades.csv").open() as handle:
        totals = {(r["student_id"], r["assignment"]): float(r["raw_score"]) for r in csv.DictReader(handle)}
    for (student, chapter), scores in graded_class["scores"].items():
        mine = {
            r["exercise"]: float(r["points"]) for r in rows if (r["student_id"], r["assignment"]) == (student, chapter)
        }
        assert mine == scores
        assert totals[(student, chapter)] == sum(scores.values())


@needs_attacks
def test_an_unreadable_submission_is_reported_after_the_others_are_graded(tmp_path):
    chapter = ATTACKS.ASSIGNMENT
    scratch_course(tmp_path, ROOT, [chapter])
    release = nbformat.read(tmp_path / "notebooks" / chapter / f"{chapter}.ipynb", as_version=4)
    submit(tmp_path, chapter, "good", build(release, solutions_of(source_notebook(chapter))))
    broken = tmp_path / "submitted" / "broken" / chapter
    broken.mkdir(parents=True)
    (broken / f"{chapter}.ipynb").write_text("{ this is not a notebook")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [sys.executable, "-m", "course.grading.batch"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "broken" in done.stderr and "not graded" in done.stderr
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        good = gradebook.find_submission(chapter, "good")
        assert good.score == good.max_score > 0
