"""Create or extend the learner's work folder: ``work/NN_slug/`` copied once from ``notebooks/``.

``make lab`` runs this before it opens JupyterLab in ``work/``. A chapter folder is copied only
when ``work/`` has no folder of that name yet, so a learner's work is never overwritten: not by a
second ``make lab``, and not after ``make release`` regenerates ``notebooks/`` (new chapters appear,
chapters already started stay as the learner left them). ``work/`` is git-ignored, so working in
JupyterLab never modifies a tracked file.

The one exception is ``course/``: the errata and the references the chapters link to. It holds no
learner work, so every run rewrites it: generated from ``book/`` in a clone of the course (by
:mod:`course.publish.release`), copied from ``notebooks/course/`` in the learner's archive, which
ships it pre-generated and holds, of the ``course`` package, only this module.

``python -m course.publish.workspace`` from the course folder (``make lab`` runs it).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IGNORED = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")


def populate(source: Path, work: Path) -> list[str]:
    """Copy each chapter folder of ``source`` that ``work`` lacks; return the names copied.

    Existing folders (and files) in ``work`` are left untouched, whatever their content, except
    ``course/`` (reference pages, see :func:`refresh_course_pages`), which is listed first.
    """
    work.mkdir(parents=True, exist_ok=True)
    copied = [] if refresh_course_pages(source, work) is None else ["course"]
    for chapter in sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith(".")):
        target = work / chapter.name
        if chapter.name == "course" or target.exists():
            continue
        shutil.copytree(chapter, target, ignore=IGNORED)
        copied.append(chapter.name)
    return copied


def refresh_course_pages(source: Path, work: Path) -> Path | None:
    """Rewrite ``work/course/``; return it, or None when neither book/ nor a shipped copy exists."""
    target = work / "course"
    if (ROOT / "book" / "errata.md").exists():  # a clone of the course, not the learner's archive
        from course.publish.release import write_course_pages  # (the archive ships no release.py)

        if target.exists():
            shutil.rmtree(target)
        write_course_pages(ROOT, target)
        return target
    shipped = source / "course"
    if shipped.is_dir():
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(shipped, target, ignore=IGNORED)
        return target
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.publish.workspace", description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT / "notebooks")
    parser.add_argument("--work", type=Path, default=ROOT / "work")
    args = parser.parse_args(argv)
    copied = populate(args.source, args.work)
    if copied:
        print(f"copied into {args.work}: {', '.join(copied)}")
    else:
        print(f"{args.work}: every chapter already there, nothing copied")
    return 0


if __name__ == "__main__":
    sys.exit(main())
