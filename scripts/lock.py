"""Freeze the virtual environment into ``requirements.txt`` and mirror it in ``environment.yml``.

Run through ``make lock`` after adding or upgrading a dependency in the virtual environment. Both
files then carry the same exact pins, which ``tests/test_environment.py`` checks.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = (
    "# Exact pins of the course environment (Python 3.11), written by `make lock`.\n"
    "# environment.yml carries the same pins for conda users.\n"
)
# The CPU build of torch: `==2.13.0` also matches the local version 2.13.0+cpu.
LOCAL_VERSION = re.compile(r"\+[A-Za-z0-9.]+$")
NOT_PINNED = {"pip", "recsys-helpers"}


def frozen_pins() -> list[str]:
    """``name==version`` for every installed distribution but pip and this project."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--all", "--exclude-editable"],
        check=True, capture_output=True, text=True,
    ).stdout
    pins = []
    for line in out.splitlines():
        name, _, version = line.partition("==")
        if not version or name.lower() in NOT_PINNED:
            continue
        pins.append(f"{name}=={LOCAL_VERSION.sub('', version)}")
    return sorted(pins, key=str.lower)


def environment_yml(pins: list[str]) -> str:
    lines = [
        "# Conda environment of the course; the same exact pins as requirements.txt (`make lock`).",
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


def main() -> None:
    pins = frozen_pins()
    (ROOT / "requirements.txt").write_text(HEADER + "\n".join(pins) + "\n")
    (ROOT / "environment.yml").write_text(environment_yml(pins))
    print(f"wrote {len(pins)} pins to requirements.txt and environment.yml")


if __name__ == "__main__":
    main()
