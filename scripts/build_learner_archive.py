"""Write the learner's download of the course: ``_build/learner/recsys-course-learner.zip``.

The archive holds what a learner needs to work the exercises on their own machine and nothing of
the instructor's: the student notebooks (``notebooks/``), the helper package, the pinned
environment (``requirements.txt``, ``environment.yml``, ``pyproject.toml``), the ``Makefile`` with
what ``make lab`` needs (``lab/``, ``scripts/learner_workspace.py``, ``scripts/prepare_machine.py``), the README,
and the errata and references as notebooks (``notebooks/course/``, generated here) that the chapters link to. It
never holds ``solutions/``, the tests, or a notebook with hidden tests or solution markers; the build stops if
one slips in. ``make book`` writes it before building the site, and
``book/how_to_use.md`` links to it, so the site serves it from ``_downloads/``.

The archive is reproducible: members in sorted order with a fixed timestamp.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOP = "recsys-course"
DEFAULT_OUTPUT = ROOT / "_build" / "learner" / "recsys-course-learner.zip"
FILES = [
    "README.md", "Makefile", "requirements.txt", "environment.yml", "pyproject.toml",
    "package.json", "package-lock.json", "scripts/learner_workspace.py", "scripts/prepare_machine.py",
]
FOLDERS = ["notebooks", "recsys_helpers", "lab"]
SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}
SKIPPED_SUFFIXES = {".pyc", ".pyo"}
# Markers that must never reach a learner: nbgrader's solution and hidden-test delimiters.
FORBIDDEN_MARKERS = ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS", "### BEGIN MARK SCHEME")
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
    if relative.parts[0] in {"solutions", "tests", "submitted", "autograded", "feedback"}:
        raise ValueError(f"{relative} is instructor material")
    if relative.suffix in {".ipynb", ".py"}:
        text = data.decode("utf-8")
        for marker in FORBIDDEN_MARKERS:
            if marker in text:
                raise ValueError(f"{relative} contains {marker!r}: run `make release` to regenerate it")


def course_pages(root: Path = ROOT) -> dict[Path, bytes]:
    """``notebooks/course/*.ipynb``: the errata and references the student notebooks link to,
    generated from ``book/`` (grading/release.py) -- the archive has no book/ to generate them."""
    import tempfile

    sys.path.insert(0, str(root))
    from grading.release import write_course_pages

    with tempfile.TemporaryDirectory() as folder:
        written = write_course_pages(root, Path(folder))
        return {Path("notebooks") / "course" / p.name: p.read_bytes() for p in written}


def build(output: Path = DEFAULT_OUTPUT, root: Path = ROOT) -> list[str]:
    """Write the archive to ``output``; return the member names."""
    output.parent.mkdir(parents=True, exist_ok=True)
    names = []
    tmp = output.with_suffix(".tmp")
    generated = course_pages(root)
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    names = build(args.output)
    print(f"{args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}: {len(names)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
