"""Write the gradebook as a table: one row per student and exercise (``make grades``).

``python -m grading.grades [OUT.csv]`` reads ``gradebook.db`` and writes ``grades.csv`` with the
columns ``student, assignment, exercise, points, max_points``, plus one ``total`` row per student
and assignment, ready for a spreadsheet or pandas.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

FIELDS = ["student", "assignment", "exercise", "points", "max_points"]


def rows(db_url: str) -> list[dict]:
    """Points per student, assignment and graded test cell; missing submissions score 0."""
    table = []
    with Gradebook(db_url) as gradebook:
        for assignment in sorted(gradebook.assignments, key=lambda a: a.name):
            for student in sorted(gradebook.students, key=lambda s: s.id):
                try:
                    submission = gradebook.find_submission(assignment.name, student.id)
                except MissingEntry:
                    continue
                for notebook in submission.notebooks:
                    for grade in sorted(notebook.grades, key=lambda g: g.name):
                        if grade.cell.cell_type != "code":
                            continue
                        table.append({
                            "student": student.id,
                            "assignment": assignment.name,
                            "exercise": grade.name,
                            "points": grade.score,
                            "max_points": grade.max_score,
                        })
                table.append({
                    "student": student.id,
                    "assignment": assignment.name,
                    "exercise": "total",
                    "points": submission.score,
                    "max_points": submission.max_score,
                })
    return table


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path("grades.csv")
    db = Path("gradebook.db").resolve()
    if not db.exists():
        print(f"no gradebook at {db}: run `make autograde` first", file=sys.stderr)
        return 1
    table = rows(f"sqlite:///{db}")
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(table)
    print(f"wrote {len(table)} rows to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
