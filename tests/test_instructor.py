"""The instructor's class workflow through its make targets, on a class of 20 generated students.

A scratch course of chapter 01 gets a roster with LMS ids and a due date (``make roster``), an LMS
download named as Blackboard names its files (``make zip-collect``), is graded (``make autograde``)
and exported (``make grades``); one student submits 36 hours late, one never submits, one submits
twice. The similarity report (``make similarity``) is tested apart, on a class with planted copies.
"""

from __future__ import annotations

import csv
import getpass
import json
import os
import re
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import AssignLatePenalties
from traitlets.config import Configurable

from conftest import ROOT
from course.grading.collect import LmsFileNames
from course.grading.late import PercentPerDay
from course.grading.similarity import library_code, report_pairs
from course.grading.synthetic import build, class_plan, load_cases, scratch_course, solutions_of

CHAPTER = "01_basics"
DUE = "2026-03-01 12:00:00"  # UTC
ON_TIME = "2026-03-01-10-30-00"  # Blackboard's attempt time (the LMS's time zone: UTC here)
LATE = "2026-03-03-00-00-00"  # 36 hours late: two started days, 20 % of the score


def source() -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "solutions" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)


def make(root: Path, *args: str, **env: str) -> tuple[subprocess.CompletedProcess, str]:
    """Run ``make`` with the course's Makefile in ``root`` (its .venv a link to the course's, never rebuilt).

    Returns the finished process and its cost, "wall s / CPU s" (the CPU of all its processes, which
    on a shared machine says more than the wall clock).
    """
    start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", *args], cwd=root,
        env={**os.environ, **env}, capture_output=True, text=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    assert done.returncode == 0, f"make {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done, f"{time.perf_counter() - start:.1f} / {cpu:.1f}"


def blackboard_name(lms_id: str, attempt: str, file: str) -> str:
    return f"{CHAPTER}_{lms_id}_attempt_{attempt}_{file}"


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    """The class after roster, zip-collect, autograde, grades and similarity; seconds per command."""
    root = tmp_path_factory.mktemp("instructor")
    scratch_course(root, ROOT, [CHAPTER])
    (root / "Makefile").write_text((ROOT / "Makefile").read_text())
    (root / ".venv").symlink_to(ROOT / ".venv")
    students = [f"s{k:02d}" for k in range(1, 21)]
    with (root / "roster.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "first_name", "last_name", "email", "lms_user_id"])
        for k, student in enumerate(students, 1):
            last = "O'Neil, Jr." if k == 3 else f"Last{k}"  # a comma: the export must quote it
            writer.writerow([student, f"First{k}", last, f"{student}@example.org", f"bb{k:04d}"])
    (root / "duedates.csv").write_text(f"name,duedate\n{CHAPTER},{DUE} UTC\n")
    timings = {"students": len(students)}
    timings["roster"] = make(root, "roster")[1]

    release = nbformat.read(root / "notebooks" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    plan = list(class_plan(source(), release, load_cases(ROOT, CHAPTER)).values())
    expected = {}
    download = root / "downloaded" / CHAPTER / "archive"
    download.mkdir(parents=True)
    with zipfile.ZipFile(download / f"gradebook_{CHAPTER}.zip", "w") as archive:
        for k, student in enumerate(students[:-1], 1):  # s20 never submits
            nb, points = plan[k % len(plan)]
            attempt = LATE if student == "s19" else ON_TIME
            file = f"{CHAPTER} (1).ipynb" if student == "s05" else f"{CHAPTER}.ipynb"  # a renamed copy
            if student == "s07":  # a first attempt, replaced by the later one
                archive.writestr(blackboard_name("bb0007", "2026-02-28-09-00-00", file), nbformat.writes(plan[0][0]))
            archive.writestr(blackboard_name(f"bb{k:04d}", attempt, file), nbformat.writes(nb))
            archive.writestr(blackboard_name(f"bb{k:04d}", attempt, f"{CHAPTER}.txt"), "Name: ...\n")  # LMS receipt
            expected[student] = points
    timings["zip-collect"] = make(root, "zip-collect")[1]
    submitted = sorted(p.parent.parent.name for p in root.glob(f"submitted/*/{CHAPTER}/{CHAPTER}.ipynb"))

    autograde, timings["autograde"] = make(root, "autograde", "JOBS=2")  # no answer loops: default time limits
    timings["grades"] = make(root, "grades")[1]
    timings["similarity"] = make(root, "similarity")[1]
    print("instructor workflow, wall s / CPU s:", json.dumps(timings))
    return {"root": root, "students": students, "submitted": submitted, "expected": expected, "autograde": autograde}


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.nbgrader
def test_zip_collect_puts_every_submission_in_submitted_with_its_time(workflow):
    root = workflow["root"]
    assert workflow["submitted"] == workflow["students"][:-1]
    stamps = {s: (root / "submitted" / s / CHAPTER / "timestamp.txt").read_text() for s in workflow["submitted"]}
    assert stamps["s19"] == "2026-03-03 00:00:00" and stamps["s01"] == "2026-03-01 10:30:00"
    assert stamps["s07"] == "2026-03-01 10:30:00"  # the later attempt is kept


@pytest.mark.nbgrader
def test_the_lms_export_has_one_row_per_roster_student_with_the_penalty(workflow):
    rows = {r["student_id"]: r for r in read_csv(workflow["root"] / "grades" / "grades.csv")}
    assert sorted(rows) == workflow["students"]
    assert rows["s03"]["last_name"] == "O'Neil, Jr." and rows["s03"]["lms_user_id"] == "bb0003"
    assert {r["duedate"] for r in rows.values()} == {DUE}
    for student, points in workflow["expected"].items():
        row = rows[student]
        raw = float(row["raw_score"])
        assert raw == sum(points.values()), student
        penalty = 0.2 * raw if student == "s19" else 0.0
        assert float(row["late_submission_penalty"]) == pytest.approx(penalty), student
        assert float(row["score"]) == pytest.approx(raw - penalty), student
        assert float(row["max_score"]) == 12.0
    assert float(rows["s19"]["late_submission_penalty"]) > 0
    assert (rows["s20"]["timestamp"], float(rows["s20"]["score"])) == ("", 0.0)
    roll = [line for line in workflow["autograde"].stdout.splitlines() if line.startswith(("late:", "absent:"))]
    penalty = 0.2 * sum(workflow["expected"]["s19"].values())
    assert roll == [f"late: {CHAPTER} / s19: 36.0 h, penalty {penalty:g} of {penalty * 5:g} points",
                    f"absent: {CHAPTER}: no submission from s20 (0 points in make grades)"]


@pytest.mark.nbgrader
def test_the_exercise_table_and_the_class_summary(workflow):
    root = workflow["root"]
    exercises = read_csv(root / "grades" / "by_exercise.csv")
    assert len(exercises) == 20 * 5
    for student, points in workflow["expected"].items():
        mine = {r["exercise"]: float(r["points"]) for r in exercises if r["student_id"] == student}
        assert mine == points, student
    assert {float(r["points"]) for r in exercises if r["student_id"] == "s20"} == {0.0}
    summary = read_csv(root / "grades" / "summary.csv")
    assert len(summary) == 5 and {int(r["submissions"]) for r in summary} == {19}
    means = [float(r["mean_percent"]) for r in summary]
    assert means == sorted(means)  # hardest first
    for row in summary:
        scores = [p[row["exercise"]] / float(row["max_points"]) for p in workflow["expected"].values()]
        assert float(row["mean_percent"]) == pytest.approx(100 * sum(scores) / len(scores), abs=0.05)
    assert (root / "grades" / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.nbgrader
def test_the_class_similarity_report_is_written(workflow):
    report = (workflow["root"] / "similarity" / f"{CHAPTER}.md").read_text()
    assert report.startswith(f"# Similarity report: {CHAPTER}") and "19 submissions" in report


def planted_class(root: Path) -> None:
    """Blank students, two independent ones, two sharing an answer, one pasting the library's code."""
    (root / "notebooks").symlink_to(ROOT / "notebooks")
    (root / "solutions").symlink_to(ROOT / "solutions")
    release = nbformat.read(ROOT / "notebooks" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    cases = load_cases(ROOT, CHAPTER)
    ex3 = cases["ex3_similarity"]["correct"][0]
    disguised = re.sub(r"\bb\b", "other", re.sub(r"\ba\b", "mine", ex3)).replace("def ", "\n\ndef ")
    pasted = library_code(ROOT / "recsys_helpers")["recsys_helpers.split.leave_last_out"].replace(
        "def leave_last_out(", "def leave_last_out_split("
    )
    answers = {
        "blank1": {}, "blank2": {},
        "independent1": {gid: c["correct"][0] for gid, c in cases.items() if gid != "ex3_similarity"},
        "independent2": {gid: c["correct"][1] for gid, c in cases.items()},
        "sharer_a": {"ex3_similarity": ex3},
        "sharer_b": {"ex3_similarity": f"# my own work\n{disguised}"},
        "paster": {"ex5_leave_last_out": f"import numpy as np\nfrom recsys_helpers.split import _partition\n{pasted}"},
    }
    for student, mine in answers.items():
        folder = root / "submitted" / student / CHAPTER
        folder.mkdir(parents=True)
        nbformat.write(build(release, mine), folder / f"{CHAPTER}.ipynb")


def test_similarity_finds_the_planted_copies_and_nothing_else(tmp_path):
    planted_class(tmp_path)
    copies, shared, submissions = report_pairs(tmp_path, CHAPTER)
    assert submissions == 7
    assert [(p.exercise, p.first, p.second) for p in copies] == [
        ("ex5_leave_last_out", "paster", "recsys_helpers.split.leave_last_out")
    ]
    assert [(p.exercise, p.first, p.second) for p in shared] == [("ex3_similarity", "sharer_a", "sharer_b")]
    assert min(shared[0].shares) > 0.9


def test_the_solution_pasted_from_the_site_is_reported(tmp_path):
    planted_class(tmp_path)
    release = nbformat.read(ROOT / "notebooks" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    folder = tmp_path / "submitted" / "from_the_site" / CHAPTER
    folder.mkdir(parents=True)
    nbformat.write(build(release, solutions_of(source())), folder / f"{CHAPTER}.ipynb")
    done = subprocess.run(
        [sys.executable, "-m", "course.grading.similarity", CHAPTER, "--root", str(tmp_path)],
        capture_output=True, text=True, check=True,
    )
    assert "6 answers match the course's code" in done.stdout
    report = (tmp_path / "similarity" / f"{CHAPTER}.md").read_text()
    assert "| from_the_site | the solution of ex1_sparsity | 100% / 100% |" in report


class Collecting(Configurable):
    """The part of nbgrader's ZipCollectApp the collector reads: its course directory."""

    def __init__(self, root: Path, **kwargs):
        super().__init__(**kwargs)
        self.coursedir = CourseDirectory(
            root=str(root), release_directory="notebooks", assignment_id=CHAPTER, db_url=f"sqlite:///{root / 'gb.db'}"
        )


@pytest.fixture
def collecting(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")  # alembic
    (tmp_path / "notebooks" / CHAPTER).mkdir(parents=True)
    (tmp_path / "notebooks" / CHAPTER / f"{CHAPTER}.ipynb").write_text("{}")
    with Gradebook(f"sqlite:///{tmp_path / 'gb.db'}") as gradebook:
        gradebook.update_or_create_student("s01", lms_user_id="bb0001")
        gradebook.update_or_create_student("123456", lms_user_id=None)
    return Collecting(tmp_path)


def test_blackboard_names_give_student_notebook_and_utc_time(collecting):
    collector = LmsFileNames(parent=collecting, lms_timezone="Europe/Paris")
    got = collector.collect(f"/x/extracted/{blackboard_name('bb0001', '2026-03-01-10-30-00', 'mine (2).ipynb')}")
    assert got == {"student_id": "s01", "file_id": f"{CHAPTER}.ipynb", "timestamp": "2026-03-01T10:30:00+01:00"}
    stranger = collector.collect(f"/x/{blackboard_name('zz9', '2026-03-01-10-30-00', f'{CHAPTER}.ipynb')}")
    assert stranger["student_id"] == "zz9"  # not on the roster: kept under the LMS's name
    assert collector.collect(f"/x/{CHAPTER}.ipynb") is None


def test_the_readmes_canvas_expression_reads_canvas_names(collecting):
    readme = (ROOT / "README.md").read_text()
    expression = re.search(r'c\.LmsFileNames\.named_regexp = r"([^"]+)"', readme).group(1)
    collector = LmsFileNames(parent=collecting, named_regexp=expression)
    for name in ("doejane_123456_7891011_01_basics.ipynb", "doejane_late_123456_7891011_01_basics-1.ipynb"):
        assert collector.collect(f"/x/extracted/{name}") == {"student_id": "123456", "file_id": f"{CHAPTER}.ipynb"}


@pytest.mark.parametrize(("hours", "penalty"), [(0.01, 1.0), (24, 1.0), (24.01, 2.0), (36, 2.0), (24 * 30, 10.0)])
def test_the_late_penalty_is_ten_percent_per_started_day(hours, penalty):
    assigning = AssignLatePenalties()
    assigning.assignment_id = CHAPTER
    plugin = PercentPerDay(parent=assigning)
    assert plugin.late_submission_penalty("s01", 10.0, hours * 3600) == pytest.approx(penalty)
    plugin.per_assignment = {CHAPTER: 50.0}
    assert plugin.late_submission_penalty("s01", 10.0, hours * 3600) == pytest.approx(min(10.0, 5.0 * penalty))


@pytest.mark.nbgrader
def test_collect_brings_a_jupyterhub_submission_with_its_time(tmp_path):
    course, student, exchange = tmp_path / "course", tmp_path / "student", tmp_path / "exchange"
    for folder in (course, student, exchange):
        folder.mkdir()
    for name in ("nbgrader_config.py", "Makefile"):
        (course / name).write_text((ROOT / name).read_text())
    for name in (".venv", "notebooks", "solutions"):
        (course / name).symlink_to(ROOT / name)
    make(course, "hub-release", f"EXCHANGE={exchange}", f"ASSIGNMENT={CHAPTER}")
    as_student = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for step in ("fetch_assignment", "submit"):
        subprocess.run(
            ["nbgrader", step, CHAPTER, "--course", "recsys-llm", f"--Exchange.root={exchange}"],
            cwd=student, env=as_student, check=True, capture_output=True,
        )
    make(course, "collect", f"EXCHANGE={exchange}", f"ASSIGNMENT={CHAPTER}")
    [folder] = course.glob(f"submitted/*/{CHAPTER}")
    assert folder.parent.name == getpass.getuser()
    assert (folder / f"{CHAPTER}.ipynb").read_text() == (ROOT / "notebooks" / CHAPTER / f"{CHAPTER}.ipynb").read_text()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ UTC", (folder / "timestamp.txt").read_text().strip())
