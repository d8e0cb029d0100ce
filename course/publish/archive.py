"""Write the learner's download of the course: ``_build/learner/recsys-course-learner.zip``.

The archive holds what a learner needs to work the exercises on their own machine and nothing of
the instructor's: the student notebooks (``notebooks/``), the helper package, the learner's pinned
environment (``requirements-learner.txt``, the course's own pins of what the notebooks and
JupyterLab need, and ``requirements-nodeps.txt``), ``pyproject.toml``, what ``make install`` and
``make lab`` run (``lab/``, ``scripts/prepare_machine.py`` and, of the ``course`` package, only
``course/publish/workspace.py``), and the errata and references as notebooks (``notebooks/course/``,
generated here) that the chapters link to. Its ``README.md`` and ``Makefile`` are the learner's
(``course/publish/learner/``): only the targets that work without the site, the tests and grading.
It never holds ``solutions/``, the tests, the grading code, or a notebook with hidden tests or
solution markers; the build stops if one slips in. ``make book`` writes it before building the
site, and ``book/how_to_use.md`` links to it, so the site serves it from ``_downloads/``.

The archive is reproducible: members in sorted order with a fixed timestamp.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from course.cells import INSTRUCTOR_MARKERS
from course.publish.release import write_course_pages

ROOT = Path(__file__).resolve().parents[2]
TOP = "recsys-course"
DEFAULT_OUTPUT = ROOT / "_build" / "learner" / "recsys-course-learner.zip"
FILES = [
    "requirements-learner.txt", "requirements-nodeps.txt", "pyproject.toml", "scripts/prepare_machine.py",
    # `make lab` runs `python -m course.publish.workspace`; nothing else of `course` is the learner's
    "course/__init__.py", "course/publish/__init__.py", "course/publish/workspace.py",
]
# The learner's own README and Makefile, written at the archive's top under these names.
LEARNER = Path(__file__).resolve().parent / "learner"
RENAMED = {Path("README.md"): LEARNER / "README.md", Path("Makefile"): LEARNER / "Makefile"}
FOLDERS = ["notebooks", "recsys_helpers", "lab"]
INSTRUCTOR_FOLDERS = {"solutions", "tests", "submitted", "autograded", "feedback"}
SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}
SKIPPED_SUFFIXES = {".pyc", ".pyo"}
FIXED_TIME = (2026, 1, 1, 0, 0, 0)


def members(root: Path = ROOT) -> list[Path]:
    """The files of the archive, relative to ``root``, in sorted order."""
    found = [Path(name) for name in FILES]
    for folder in FOLDERS:
        for path in (root / folder).rglob("*"):
            relative = path.relative_to(root)
            if path.is_file() and not SKIPPED_PARTS & set(relative.parts) and path.suffix not in SKIPPED_SUFFIXES:
                found.append(relative)
    return sorted(set(found) - git_ignored(found, root))


def git_ignored(paths: list[Path], root: Path) -> set[Path]:
    """The paths git ignores (a learner's lab state, build output); none where git is unavailable."""
    try:
        done = subprocess.run(["git", "check-ignore", "--stdin"], cwd=root, capture_output=True, text=True,
                              input="\n".join(p.as_posix() for p in paths), check=False)
    except OSError:
        return set()
    return {Path(line) for line in done.stdout.splitlines()} if done.returncode in (0, 1) else set()


def check(relative: Path, data: bytes) -> None:
    """Refuse anything of the instructor's: solutions, tests, hidden tests."""
    if relative.parts[0] in INSTRUCTOR_FOLDERS or (relative.parts[0] == "course" and relative.as_posix() not in FILES):
        raise ValueError(f"{relative} is instructor material")
    if relative.suffix in {".ipynb", ".py"}:
        text = data.decode("utf-8")
        for marker in INSTRUCTOR_MARKERS:
            if marker in text:
                raise ValueError(f"{relative} contains {marker!r}: run `make release` to regenerate it")


def course_pages(root: Path = ROOT) -> dict[Path, bytes]:
    """``notebooks/course/*.ipynb``: the errata and references the student notebooks link to,
    generated from ``book/`` (:mod:`course.publish.release`) -- the archive has no book/ to generate them."""
    with tempfile.TemporaryDirectory() as folder:
        written = write_course_pages(root, Path(folder))
        return {Path("notebooks") / "course" / p.name: p.read_bytes() for p in written}


def build(output: Path = DEFAULT_OUTPUT, root: Path = ROOT) -> list[str]:
    """Write the archive to ``output``; return the member names."""
    output.parent.mkdir(parents=True, exist_ok=True)
    names = []
    tmp = output.with_suffix(".tmp")
    generated = course_pages(root) | {name: source.read_bytes() for name, source in RENAMED.items()}
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for relative in sorted(set(members(root)) | set(generated)):
            data = generated[relative] if relative in generated else (root / relative).read_bytes()
            check(relative, data)
            name = f"{TOP}/{relative.as_posix()}"
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
            names.append(name)
    tmp.replace(output)
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.publish.archive", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    names = build(args.output)
    print(f"{args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}: {len(names)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
