"""Create or extend the learner's work folder: ``work/NN_slug/`` copied once from ``notebooks/``.

``make lab`` runs this before it opens JupyterLab in ``work/``. A chapter folder is copied only
when ``work/`` has no folder of that name yet, so a learner's work is never overwritten: not by a
second ``make lab``, and not after ``make release`` regenerates ``notebooks/`` (new chapters appear,
chapters already started stay as the learner left them). ``work/`` is git-ignored, so working in
JupyterLab never modifies a tracked file.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORED = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")


def populate(source: Path, work: Path) -> list[str]:
    """Copy each chapter folder of ``source`` that ``work`` lacks; return the names copied.

    Existing folders (and files) in ``work`` are left untouched, whatever their content.
    """
    work.mkdir(parents=True, exist_ok=True)
    copied = []
    for chapter in sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith(".")):
        target = work / chapter.name
        if target.exists():
            continue
        shutil.copytree(chapter, target, ignore=IGNORED)
        copied.append(chapter.name)
    return copied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
