"""Style every chapter keeps: code lines fit the page, and every plot says what it shows.

- code cells of ``solutions/*/*.ipynb``: no line longer than 88 columns (the site's code width);
- executed chapters (``book/chapters/*.ipynb``): every cell with an image output carries alt text
  in its metadata, ``"mystnb": {"image": {"alt": "..."}}`` (or ``"figure"``), which the site puts on
  the ``<img>``.
"""

from __future__ import annotations

import nbformat
import pytest

from conftest import CHAPTERS, EXECUTED, ROOT, skip_unless_all

MAX_COLUMNS = 88


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
        skip_unless_all(f"{path.relative_to(ROOT)} not executed yet (make execute)")
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
    assert not found, f"{chapter}: code lines over {MAX_COLUMNS} columns in cells {found} (cell: lines)"


@pytest.mark.chapters
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_plot_has_alt_text(chapter):
    missing = cells_without_alt(chapter)
    assert not missing, f"{chapter}: image outputs without alt text in cells {sorted(missing)}"
