"""Finish ``make lock``: name torch's CPU build as PyPI does and mirror the lock in ``environment.yml``.

pip-compile writes ``requirements.txt`` from ``requirements.in`` (and ``requirements-learner.txt`` from
``requirements-learner.in``) with the version it resolved, which for torch is this machine's CPU wheel,
``2.13.0+cpu``. Both locks name it ``torch==2.13.0``: that pin still
matches the local CPU wheel here (pip prefers it) and PyPI's CPU builds on macOS and Windows, where no
``+cpu`` version exists. ``environment.yml`` then gets the same exact pins, which
``tests/test_environment.py`` checks. The wheels of ``requirements-nodeps.txt`` stay out of it: conda's
pip section cannot install a package without its dependencies.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL_LABEL = re.compile(r"^(torch==[^\s+]+)\+[A-Za-z0-9.]+$", re.M)
PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==\S+$", re.M)


def environment_yml(pins: list[str]) -> str:
    """The conda environment: Python 3.11 and ``pins`` (``name==version`` lines) in its pip section."""
    lines = [
        "# Conda environment of the course, written by `make lock` from requirements.txt (the same pins).",
        "# Then, inside it: pip install --no-deps -r requirements-nodeps.txt",
        "name: recsys-course",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
    ]
    lines += [f"      - {pin}" for pin in pins]
    lines.append("      - --editable .")
    return "\n".join(lines) + "\n"


def drop_local_label(lock: Path) -> str:
    """Rewrite ``lock`` with torch pinned without its local label; return the new text."""
    text = LOCAL_LABEL.sub(r"\1", lock.read_text())
    lock.write_text(text)
    return text


def main() -> None:
    drop_local_label(ROOT / "requirements-learner.txt")
    pins = PIN.findall(drop_local_label(ROOT / "requirements.txt"))
    (ROOT / "environment.yml").write_text(environment_yml(pins))
    print(f"{len(pins)} pins in requirements.txt and environment.yml")


if __name__ == "__main__":
    main()
