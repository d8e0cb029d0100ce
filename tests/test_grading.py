"""Grading a class through the instructor's own commands, on generated submissions.

One scratch course holds, for every chapter, a blank submission, the solution, the alternative
correct answers and the plausible wrong answers of ``tests/grading/cases/NN_slug.py``, and for
chapter 01 the attacks of ``tests/grading/attacks.py``. ``python -m grading.batch`` (what
``make autograde`` runs) grades them all once; the tests then read the gradebook:

- blank -> 0 for every exercise; the solution -> full marks;
- every alternative correct answer -> the exercise's points; every wrong one -> none;
- every attack -> no points gained, nobody else affected, no process left behind;
- neither the autograded notebooks nor the feedback carry a hidden test.
"""

from __future__ import annotations

import copy
import html
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import CHAPTERS, ROOT

sys.path.insert(0, str(ROOT))
from grading.checker import HIDDEN_BLOCK, grading_of, is_answer_cell, is_test_cell  # noqa: E402

pytestmark = pytest.mark.nbgrader
BIN = Path(sys.executable).parent
CASES_DIR = ROOT / "tests" / "grading" / "cases"
SOLUTION_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[^\n]*\n?", re.M)
TEST_SECONDS = "15"  # a looping answer costs this long here (60 s per test, 120 s per cell in a class)


def load_module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem.replace("-", "_"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cases_of(chapter: str) -> dict:
    path = CASES_DIR / f"{chapter}.py"
    return load_module(path).CASES if path.exists() else {}


ATTACKS = load_module(ROOT / "tests" / "grading" / "attacks.py")
needs_attacks = pytest.mark.skipif(
    ATTACKS.ASSIGNMENT not in CHAPTERS, reason=f"the attacks target {ATTACKS.ASSIGNMENT}, not selected"
)


def source_notebook(chapter: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)


def exercises(chapter: str) -> dict[str, list[str]]:
    """test grade_id -> the solution cells' grade_ids it grades."""
    graded, pending = {}, []
    for cell in source_notebook(chapter).cells:
        if is_answer_cell(cell):
            pending.append(grading_of(cell)["grade_id"])
        elif is_test_cell(cell):
            graded[grading_of(cell)["grade_id"]] = pending
            pending = []
    return graded


def points_of(chapter: str) -> dict[str, float]:
    return {grading_of(c)["grade_id"]: float(grading_of(c)["points"]) for c in source_notebook(chapter).cells if is_test_cell(c)}


def solutions_of(chapter: str) -> dict[str, str]:
    return {grading_of(c)["grade_id"]: SOLUTION_MARKER.sub("", c.source) for c in source_notebook(chapter).cells if is_answer_cell(c)}


def build(release: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        grade_id = grading_of(cell).get("grade_id")
        if is_answer_cell(cell) and grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def plan(chapter: str, release: nbformat.NotebookNode) -> dict[str, tuple[nbformat.NotebookNode, dict[str, float]]]:
    """student -> (submission, expected points per test cell) for one chapter."""
    full, solved = points_of(chapter), solutions_of(chapter)
    graded, cases = exercises(chapter), cases_of(chapter)
    students = {
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


def attack_plan(release: nbformat.NotebookNode, root: Path) -> dict[str, tuple[nbformat.NotebookNode, dict]]:
    chapter = ATTACKS.ASSIGNMENT
    solved = solutions_of(chapter)
    students = {}
    for name, attack in ATTACKS.ATTACKS.items():
        answers = solved if attack["base"] == "solution" else {}
        answers = {**answers, **{k: v.replace("{root}", str(root)) for k, v in attack["answers"].items()}}
        nb = build(release, answers)
        first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "import" in c.source)
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
    for name in ("nbgrader_config.py",):
        shutil.copy(ROOT / name, root)
    for folder in ("solutions", "grading"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    expected: dict[tuple[str, str], dict[str, float]] = {}
    for chapter in CHAPTERS:
        nbgrader("generate_assignment", chapter, "--force", cwd=root)
        release = nbformat.read(root / "notebooks" / chapter / f"{chapter}.ipynb", as_version=4)
        students = plan(chapter, release)
        if chapter == ATTACKS.ASSIGNMENT:
            students.update(attack_plan(release, root))
        for student, (nb, points) in students.items():
            folder = root / "submitted" / student / chapter
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{chapter}.ipynb")
            expected[(student, chapter)] = points
    env = {**os.environ, "GRADING_TEST_SECONDS": TEST_SECONDS, "GRADING_CELL_SECONDS": TEST_SECONDS, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "grading.batch", "--jobs", "2"], cwd=root, env=env, capture_output=True, text=True
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


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_exercise_has_alternative_and_wrong_answers(chapter):
    cases, solved = cases_of(chapter), solutions_of(chapter)
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
    assert restored.get("ex1_sparsity_tests", "").startswith("edited")
    assert restored.get("ex2_head_share_tests", "").startswith("deleted")
    assert "ex1_sparsity_tests" in graded_class["batch"].stdout


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
        visible = "\n".join(c.source for c in source_notebook(chapter).cells if not is_test_cell(c))
        hidden = {line for line in hidden if line not in visible}
        files = list(root.glob(f"autograded/*/{chapter}/*.ipynb")) + list(root.glob(f"feedback/*/{chapter}/*.html"))
        assert files
        for path in files:
            text = html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))
            if "HIDDEN TESTS" in text:
                leaks.append(f"{path.relative_to(root)}: hidden-test marker")
            leaks += [f"{path.relative_to(root)}: {line}" for line in hidden if line in text]
    assert not leaks, "\n".join(leaks[:20])
