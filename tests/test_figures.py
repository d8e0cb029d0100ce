"""recsys_helpers.figures: the kernel-side store behind the student notebooks' inline figures."""

from __future__ import annotations

import myst_nb
import pytest
from myst_nb.core.variables import format_plain_text

from recsys_helpers import figures


@pytest.fixture(autouse=True)
def clean_store(monkeypatch):
    monkeypatch.setattr(figures, "_RECORDED", {})
    monkeypatch.setattr(myst_nb, "glue", myst_nb.glue)  # undone after each test


def test_glued_formats_as_the_site_does():
    values = {"n": 100000, "share": 0.93695, "pct": 0.125, "day": "1997-09-20", "gap": -0.0123}
    for name, value in values.items():
        figures.glue(name, value, display=False)
    for name, fmt in [("n", ""), ("n", ","), ("share", ".3f"), ("pct", ".1%"), ("day", ""),
                      ("gap", "+.3f"), ("share", ".1e")]:
        expected = format_plain_text(repr(values[name]), fmt)
        assert figures.glued(name, fmt) == expected
    assert figures.glued("n", ",") == "100,000"
    assert figures.glued("day") == "1997-09-20", "strings show without quotes"
    assert repr(figures.glued("day")) == "1997-09-20", "Jupyter shows the repr: no quotes either"


def test_unrecorded_name_says_what_to_do():
    assert figures.glued("never_recorded", ".3f") == figures.NOT_YET


def test_record_figures_makes_myst_nb_glue_record():
    figures.record_figures()
    from myst_nb import glue

    assert glue is figures.glue
    glue("x", 3, display=False)
    assert figures.recorded() == {"x": "3"}
    figures.record_figures()  # idempotent
    assert myst_nb.glue is figures.glue


def test_glue_rejects_a_non_string_name():
    with pytest.raises(TypeError, match="str"):
        figures.glue(3, 1, display=False)
