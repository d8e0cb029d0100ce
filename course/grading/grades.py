"""The gradebook as tables an LMS and an instructor read (``make grades``).

``nbgrader export`` with :class:`LmsCsvExport` writes ``grades/grades.csv``: nbgrader's CSV columns
(``assignment, duedate, timestamp, student_id, last_name, first_name, email, raw_score,
late_submission_penalty, score, max_score``) plus the roster's ``lms_user_id``, one row per roster
student x assignment; a student without a submission scores 0 with an empty timestamp. Assignments
nobody has submitted yet are left out (an LMS would read their rows as zeros).
``python -m course.grading.grades grades/`` then writes, beside it:

- ``by_exercise.csv``: ``student_id, assignment, exercise, points, max_points`` for every roster
  student, exercise by exercise (0 where nothing was submitted);
- ``summary.csv`` and ``summary.png``: per exercise, over the submissions, the class's mean share of
  the points, the share with full marks and the share with none, hardest exercise first per assignment.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin

LMS_FIELDS = [
    "assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
    "raw_score", "late_submission_penalty", "score", "max_score", "lms_user_id",
]
EXERCISE_FIELDS = ["student_id", "assignment", "exercise", "points", "max_points"]
SUMMARY_FIELDS = ["assignment", "exercise", "max_points", "submissions", "mean_percent", "full_percent", "zero_percent"]


def natural(name: str) -> list:
    """Sort key that puts ex2 before ex10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


class LmsCsvExport(ExportPlugin):
    """nbgrader's CSV export (same columns, properly quoted) plus the roster's LMS id."""

    def export(self, gradebook: Gradebook) -> None:
        dest = Path(self.to or "grades.csv")
        dest.parent.mkdir(parents=True, exist_ok=True)
        table = lms_rows(gradebook, set(self.assignment), set(self.student))
        with dest.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=LMS_FIELDS)
            writer.writeheader()
            writer.writerows(table)
        self.log.info("Wrote %d rows (student x assignment) to %s", len(table), dest)


def collected(gradebook: Gradebook) -> list:
    """The gradebook's assignments with at least one submission (not yet collected ones are left out)."""
    return sorted((a for a in gradebook.assignments if a.submissions), key=lambda a: a.name)


def lms_rows(gradebook: Gradebook, assignments: set[str] = frozenset(), students: set[str] = frozenset()) -> list[dict]:
    """One row per roster student x collected assignment (only the given names when not empty)."""
    table = []
    for assignment in collected(gradebook):
        if assignments and assignment.name not in assignments:
            continue
        for student in sorted(gradebook.students, key=lambda s: s.id):
            if students and student.id not in students:
                continue
            row = {
                "assignment": assignment.name, "duedate": assignment.duedate or "", "timestamp": "",
                "student_id": student.id, "last_name": student.last_name or "", "first_name": student.first_name or "",
                "email": student.email or "", "raw_score": 0.0, "late_submission_penalty": 0.0, "score": 0.0,
                "max_score": assignment.max_score, "lms_user_id": student.lms_user_id or "",
            }
            try:
                submission = gradebook.find_submission(assignment.name, student.id)
            except MissingEntry:
                pass
            else:
                penalty = submission.late_submission_penalty
                row.update(
                    timestamp=submission.timestamp or "", raw_score=submission.score, late_submission_penalty=penalty,
                    score=max(0.0, submission.score - penalty),
                )
            table.append(row)
    return table


def exercise_rows(gradebook: Gradebook) -> list[dict]:
    """Points per roster student, assignment and graded cell; 0 for whatever was not submitted."""
    table = []
    for assignment in collected(gradebook):
        cells = sorted(
            (cell for notebook in assignment.notebooks for cell in notebook.grade_cells), key=lambda c: natural(c.name)
        )
        for student in sorted(gradebook.students, key=lambda s: s.id):
            try:
                submission = gradebook.find_submission(assignment.name, student.id)
            except MissingEntry:
                scores = {}
            else:
                scores = {grade.name: grade.score for notebook in submission.notebooks for grade in notebook.grades}
            table.extend(
                {
                    "student_id": student.id, "assignment": assignment.name, "exercise": cell.name,
                    "points": scores.get(cell.name, 0.0), "max_points": cell.max_score,
                }
                for cell in cells
            )
    return table


def class_summary(gradebook: Gradebook) -> list[dict]:
    """Per assignment and exercise, over submissions only: mean, full-marks and zero shares in %, hardest first."""
    table = []
    for assignment in collected(gradebook):
        points: dict[str, list[float]] = {}
        maxima: dict[str, float] = {}
        for submission in assignment.submissions:
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    points.setdefault(grade.name, []).append(grade.score)
                    maxima[grade.name] = grade.max_score
        rows = []
        for name, scores in points.items():
            top = maxima[name] or 1.0
            rows.append({
                "assignment": assignment.name, "exercise": name, "max_points": maxima[name],
                "submissions": len(scores),
                "mean_percent": round(100 * sum(scores) / (top * len(scores)), 1),
                "full_percent": round(100 * sum(s >= top for s in scores) / len(scores), 1),
                "zero_percent": round(100 * sum(s == 0 for s in scores) / len(scores), 1),
            })
        table.extend(sorted(rows, key=lambda r: (r["mean_percent"], natural(r["exercise"]))))
    return table


def plot_summary(summary: list[dict], path: Path) -> None:
    """Horizontal bars of the mean share of points per exercise (hardest at the top of each assignment)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{row['assignment']}  {row['exercise']}" for row in summary]
    means = [row["mean_percent"] for row in summary]
    full = [row["full_percent"] for row in summary]
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.32 * len(summary)))
    y = range(len(summary))
    ax.barh(y, means, color="#4878a8", label="mean share of the points")
    ax.scatter(full, y, color="#d2691e", marker="|", s=120, zorder=3, label="share with full marks")
    ax.set_yticks(list(y), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of the submissions' points")
    ax.set_title("Class scores per exercise (hardest first within each assignment)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_csv(path: Path, fields: list[str], table: list[dict]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(table)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path("grades")
    db = Path("gradebook.db").resolve()
    if not db.exists():
        print(f"no gradebook at {db}: run `make autograde` first", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    with Gradebook(f"sqlite:///{db}") as gradebook:
        exercises, summary = exercise_rows(gradebook), class_summary(gradebook)
    write_csv(out / "by_exercise.csv", EXERCISE_FIELDS, exercises)
    write_csv(out / "summary.csv", SUMMARY_FIELDS, summary)
    if summary:
        plot_summary(summary, out / "summary.png")
    print(f"wrote {out / 'by_exercise.csv'} ({len(exercises)} rows), {out / 'summary.csv'} and summary.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
