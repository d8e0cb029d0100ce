"""Style every chapter keeps: code lines fit the page, and every plot says what it shows.

- code cells of ``solutions/*/*.ipynb``: no line longer than 88 columns (the site's code width);
- executed chapters (``book/chapters/*.ipynb``): every cell with an image output carries alt text
  in its metadata, ``"mystnb": {"image": {"alt": "..."}}`` (or ``"figure"``), which the site puts on
  the ``<img>``.

Chapters whose authors have not yet formatted them are listed in KNOWN_LONG_LINES / KNOWN_NO_ALT
with the cells that fail, so the check holds for everyone else; shrink or remove an entry as a
chapter is fixed.
"""

from __future__ import annotations

import nbformat
import pytest

from conftest import CHAPTERS, EXECUTED, ROOT

MAX_COLUMNS = 88
# Known exceptions: chapter -> how many over-long code lines it may still have. As of 2026-11-24
# 02:00 UTC only 12_music_video cell 56 (one line, in its author's uncommitted edit); 09_tuning's
# 35 lines (cells 1-54) and 10_ecommerce's 31 were formatted while this check arrived. Lower a
# budget as a chapter is formatted; delete its row at 0.
KNOWN_LONG_LINES: dict[str, int] = {"12_music_video": 1}
# chapter -> cell indices (in the executed book/chapters/NN.ipynb) with an image and no alt text.
KNOWN_NO_ALT: dict[str, set[int]] = {}


def long_line_cells(chapter: str) -> dict[int, int]:
    """cell index -> number of code lines over MAX_COLUMNS."""
    nb = nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
    found = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            count = sum(len(line) > MAX_COLUMNS for line in cell.source.splitlines())
            if count:
                found[index] = count
    return found


def alt_text(cell) -> str:
    mystnb = cell.metadata.get("mystnb", {})
    return (mystnb.get("image", {}) or {}).get("alt", "") or (mystnb.get("figure", {}) or {}).get("alt", "")


def cells_without_alt(chapter: str) -> set[int]:
    path = EXECUTED / f"{chapter}.ipynb"
    if not path.exists():
        pytest.skip(f"{path.relative_to(ROOT)} not executed yet (make execute)")
    nb = nbformat.read(path, as_version=4)
    return {
        index
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and any(k.startswith("image/") for o in cell.get("outputs", []) for k in o.get("data", {}))
        and not alt_text(cell).strip()
    }


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_code_lines_fit_88_columns(chapter):
    found = long_line_cells(chapter)
    budget = KNOWN_LONG_LINES.get(chapter, 0)
    assert sum(found.values()) <= budget, (
        f"{chapter}: code lines over {MAX_COLUMNS} columns in cells {found} (cell: lines); "
        f"{budget} allowed for now")


@pytest.mark.chapters
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_plot_has_alt_text(chapter):
    missing = cells_without_alt(chapter)
    known = KNOWN_NO_ALT.get(chapter, set())
    assert not missing - known, f"{chapter}: image outputs without alt text in cells {sorted(missing - known)}"
