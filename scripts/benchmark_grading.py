"""Benchmark of grading: seconds per submission and the time to grade a whole class.

Builds a scratch course with ``--students`` synthetic submissions per chapter (cycling through the
blank notebook, the solution and the alternative and wrong answers of ``tests/grading/cases``),
then measures

1. per chapter, the seconds to grade one submission in one process (the chapter's reference run,
   paid once per grading process, reported apart), median and maximum;
2. the wall-clock time of ``python -m course.grading.batch --jobs J`` over the whole class, the way
   ``make autograde`` runs it.

Writes ``benchmarks/grading.json``. Run it on an idle machine:
``.venv/bin/python scripts/benchmark_grading.py --students 20``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

import nbformat

from course.grading.checker import Chapter
from course.grading.synthetic import class_plan, load_cases, scratch_course, submit

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20, help="synthetic submissions per chapter")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "grading.json")
    args = parser.parse_args()
    chapters = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
    record = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "students_per_chapter": args.students,
              "jobs": args.jobs, "chapters": {}}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        scratch_course(root, ROOT, chapters)
        for chapter in chapters:
            source = nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
            release = nbformat.read(root / "notebooks" / chapter / f"{chapter}.ipynb", as_version=4)
            kinds = list(class_plan(source, release, load_cases(ROOT, chapter)).items())
            submissions = list(islice(cycle(kinds), args.students))
            for k, (kind, (nb, _)) in enumerate(submissions):
                submit(root, chapter, f"s{k:03d}_{kind}", nb)
            grader = Chapter(root / "solutions" / chapter / f"{chapter}.ipynb")
            start = time.perf_counter()
            grader.contexts()
            reference = time.perf_counter() - start
            seconds = []
            for nb, _ in (pair for _, pair in submissions[: min(args.students, 10)]):
                start = time.perf_counter()
                grader.grade(nb)
                seconds.append(time.perf_counter() - start)
            record["chapters"][chapter] = {
                "reference_run_s": round(reference, 2),
                "per_submission_median_s": round(statistics.median(seconds), 2),
                "per_submission_max_s": round(max(seconds), 2),
                "timed_submissions": len(seconds),
            }
            print(chapter, record["chapters"][chapter], flush=True)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "course.grading.batch", "--jobs", str(args.jobs)], cwd=root, check=True,
                       capture_output=True)
        batch = time.perf_counter() - start
    total = args.students * len(chapters)
    record["batch"] = {"submissions": total, "wall_s": round(batch, 1), "s_per_submission": round(batch / total, 2)}
    per_chapter_class = batch / len(chapters) / args.students * 100
    record["extrapolated_100_students_x_14_chapters_h"] = round(per_chapter_class * 14 / 3600, 2)
    record["extrapolation"] = (
        "linear: the measured batch seconds per submission times 100 students x 14 chapters, assuming "
        "the chapters not measured here grade like the mean of those that were"
    )
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
