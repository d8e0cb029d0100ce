"""Compare the figures two sets of executed chapters recorded: did a refactoring change a number?

    python scripts/compare_recorded_figures.py BEFORE_DIR AFTER_DIR [--timing REGEX] [--last-bits REL]

Each directory holds executed notebooks (``NN_slug.ipynb``, as ``book/chapters/`` after
``make execute``). Every figure a chapter recorded (a ``myst_nb.glue`` output, by name) is compared
by its ``text/plain`` text. Figures whose names match ``--timing`` measure the machine (seconds,
milliseconds, throughput, ratios of times) and are listed apart: they differ from run to run.
With ``--last-bits REL``, two numbers whose relative difference is at most REL (say 1e-12: the
order of a sum, not a measurement) are listed apart as rounding differences; every other figure
must match exactly. Exit status 1 when any other figure differs, or exists on one side only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from course.publish.release import MACHINE_FIGURE

#: Names of figures that measure the machine rather than the data or the model.
TIMING = MACHINE_FIGURE.pattern


def recorded_texts(path: Path) -> dict[str, str]:
    """``name -> text/plain`` of every figure recorded in the executed notebook ``path``."""
    texts: dict[str, str] = {}
    for cell in json.loads(path.read_text())["cells"]:
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook", {})
            if "name" in scrapbook:
                prefix = scrapbook.get("mime_prefix", "")
                texts[scrapbook["name"]] = "".join(output["data"].get(prefix + "text/plain", ""))
    return texts


def within(old: str, new: str, relative: float) -> bool:
    """Whether two recorded numbers differ by at most ``relative`` of their size (False for text)."""
    try:
        a, b = float(old), float(new)
    except ValueError:
        return False
    return relative > 0 and abs(a - b) <= relative * max(abs(a), abs(b))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--timing", default=TIMING, help=f"regex of timing figure names (default {TIMING!r})")
    parser.add_argument("--last-bits", type=float, default=0.0, help="relative difference listed as rounding")
    args = parser.parse_args(argv)
    timing = re.compile(args.timing)
    chapters = sorted({p.name for p in args.before.glob("*.ipynb")} | {p.name for p in args.after.glob("*.ipynb")})
    compared = differing = timed = rounding = 0
    for name in chapters:
        sides = [folder / name for folder in (args.before, args.after)]
        missing = [str(path) for path in sides if not path.exists()]
        if missing:
            print(f"{name}: missing {', '.join(missing)}")
            differing += 1
            continue
        before, after = (recorded_texts(path) for path in sides)
        for figure in sorted(before.keys() | after.keys()):
            old, new = before.get(figure, "<absent>"), after.get(figure, "<absent>")
            if timing.search(figure):
                timed += 1
                continue
            compared += 1
            if old == new:
                continue
            if within(old, new, args.last_bits):
                rounding += 1
                print(f"{name[:-6]}: {figure}: {old!r} -> {new!r} (rounding)")
            else:
                differing += 1
                print(f"{name[:-6]}: {figure}: {old[:80]!r} -> {new[:80]!r}")
    print(
        f"{len(chapters)} chapters, {compared} figures compared, {differing} differ, {rounding} differ only in"
        f" rounding (relative difference <= {args.last_bits:g}); {timed} timing figures skipped"
    )
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
