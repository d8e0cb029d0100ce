"""Autograde a whole class: every submission of every assignment, in parallel, never stopping early.

``python -m course.grading.batch`` (``make autograde``) runs ``nbgrader autograde`` per assignment in
``--jobs`` processes, each over its own share of the students, so the cores are used once each (the
sandboxed student processes are single-threaded) and each process runs the chapter's reference
once for all its students. A submission that crashes, loops or exhausts memory costs that student
points, never the class; a submission nbgrader cannot process at all is reported at the end, and
only then does the command exit non-zero. Late submissions and roster students without a submission
are listed as notes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook


def submissions(root: Path, assignment: str) -> list[str]:
    """Students with a submission folder for ``assignment``."""
    return sorted(p.parent.name for p in (root / "submitted").glob(f"*/{assignment}") if p.is_dir())


def shards(students: list[str], jobs: int) -> list[list[str]]:
    return [share for share in (students[k::jobs] for k in range(jobs)) if share]


def autograde(root: Path, assignment: str, students: list[str], jobs: int) -> list[tuple[list[str], int, str]]:
    """Run one nbgrader process per shard; returns (students, exit status, log tail) per shard."""
    nbgrader = str(Path(sys.executable).parent / "nbgrader")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    running = []
    for share in shards(students, jobs):
        others = sorted(set(students) - set(share))
        argv = [nbgrader, "autograde", assignment, "--force"]
        if others:
            argv.append(f"--CourseDirectory.student_id_exclude={','.join(others)}")
        log = (root / f".autograde-{assignment}-{len(running)}.log").open("w+")
        running.append((share, subprocess.Popen(argv, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT), log))
    results = []
    for share, process, log in running:
        status = process.wait()
        log.seek(0)
        tail = log.read()[-4000:]
        log.close()
        Path(log.name).unlink()
        results.append((share, status, tail))
    return results


def report(root: Path, assignment: str, student: str) -> dict | None:
    """The grading report the sandboxed tests left in the autograded notebook, if any."""
    reports = {}
    for path in sorted((root / "autograded" / student / assignment).glob("*.ipynb")):
        grading = nbformat.read(path, as_version=4).metadata.get("grading", {})
        if "report" in grading:
            reports[path.stem] = grading["report"]
    return reports or None


def class_notes(root: Path, assignment: str, students: list[str]) -> list[str]:
    """``late:`` submissions (with their penalty) and ``absent:`` roster students, from the gradebook."""
    notes = []
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        for submission in gradebook.find_assignment(assignment).submissions:
            if submission.student.id in students and submission.total_seconds_late > 0:
                notes.append(
                    f"late: {assignment} / {submission.student.id}: {submission.total_seconds_late / 3600:.1f} h, "
                    f"penalty {submission.late_submission_penalty:g} of {submission.score:g} points"
                )
        absent = sorted(student.id for student in gradebook.students if student.id not in students)
    if absent:
        notes.append(f"absent: {assignment}: no submission from {', '.join(absent)} (0 points in make grades)")
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="assignment folders (default: all with submissions)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel nbgrader processes")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="course root (holds nbgrader_config.py)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    assignments = args.assignments or sorted(
        p.name for p in (root / "solutions").iterdir() if p.is_dir() and submissions(root, p.name)
    )
    failures: list[str] = []  # submissions nbgrader could not grade at all
    notes: list[str] = []  # graded, with something the instructor should know
    roll: list[str] = []  # late submissions and absent students
    summary = []
    for assignment in assignments:
        students = submissions(root, assignment)
        if not students:
            continue
        start = time.perf_counter()
        results = autograde(root, assignment, students, max(1, args.jobs))
        seconds = time.perf_counter() - start
        for share, status, tail in results:
            for student in share:
                graded = report(root, assignment, student)
                if graded is None:
                    failures.append(f"{assignment} / {student}: not graded (nbgrader exit {status})\n{tail}")
                    continue
                for notebook, content in graded.items():
                    for cell, what in content.get("restored", {}).items():
                        notes.append(
                            f"{assignment} / {student}: test cell {cell} was {what} (graded with the original)"
                        )
        roll += class_notes(root, assignment, students)
        summary.append({"assignment": assignment, "submissions": len(students), "seconds": round(seconds, 1)})
        print(f"{assignment}: {len(students)} submissions graded in {seconds:.1f} s", flush=True)
    (root / "autograded").mkdir(exist_ok=True)
    (root / "autograded" / "batch_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    for line in notes:
        print(f"note: {line}")
    for line in roll:
        print(line)
    if failures:
        print(f"\n{len(failures)} submission(s) could not be graded:", file=sys.stderr)
        for line in failures:
            print(f"- {line}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
