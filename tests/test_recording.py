"""recsys_helpers.recording: the figures the prose quotes, kept for the student notebooks' inline figures."""

from __future__ import annotations

import json
from typing import NamedTuple

import pytest
from myst_nb.core.variables import format_plain_text

from recsys_helpers import recording
from recsys_helpers.uncertainty import paired_bootstrap


@pytest.fixture(autouse=True)
def clean_store(monkeypatch):
    monkeypatch.setattr(recording, "_RECORDED", {})
    monkeypatch.setattr(recording, "_COURSE", {})


def test_glued_formats_as_the_site_does():
    values = {"n": 100000, "share": 0.93695, "pct": 0.125, "day": "1997-09-20", "gap": -0.0123}
    for name, value in values.items():
        recording.record(name, value)
    for name, fmt in [("n", ""), ("n", ","), ("share", ".3f"), ("pct", ".1%"), ("day", ""),
                      ("gap", "+.3f"), ("share", ".1e")]:
        expected = format_plain_text(repr(values[name]), fmt)
        assert recording.glued(name, fmt) == expected
    assert recording.glued("n", ",") == "100,000"
    assert recording.glued("day") == "1997-09-20", "strings show without quotes"
    assert repr(recording.glued("day")) == "1997-09-20", "Jupyter shows the repr: no quotes either"


def test_a_figure_not_recorded_yet_says_so():
    assert recording.glued("never_recorded", ".3f") == recording.NOT_YET


def test_glued_falls_back_on_the_course_figures_marked_as_such_until_the_learner_records(tmp_path):
    notebook = tmp_path / "ch.ipynb"
    notebook.write_text(json.dumps({"cells": [], "metadata": {recording.COURSE_KEY: {"figures": {
        "share": "0.93695", "title": "'<Toy> & co'"}}}}))
    assert recording.use_course_figures(tmp_path / "missing.ipynb") == 0
    assert recording.glued("share", ".1%") == recording.NOT_YET
    assert recording.use_course_figures(notebook) == 2
    course = recording.glued("share", ".1%")
    assert isinstance(course, recording.CourseFigure) and course == "93.7%"
    assert repr(course) == "93.7% (course run)"
    assert 'title="The course&#x27;s own run' in course._repr_html_() and ">93.7%</span>" in course._repr_html_()
    assert "&lt;Toy&gt; &amp; co</span>" in recording.glued("title")._repr_html_(), "values are escaped"
    recording.record("share", 0.5)
    mine = recording.glued("share", ".1%")
    assert mine == "50.0%" and not isinstance(mine, recording.CourseFigure), "the learner's value wins"


def test_record_calls_myst_nb_glue_without_display(monkeypatch):
    calls = []
    monkeypatch.setattr("myst_nb.ext.glue.glue", lambda *args, **kwargs: calls.append((args, kwargs)))
    recording.record("x", 3)
    assert calls == [(("x", 3), {"display": False})]
    assert recording.recorded() == {"x": "3"}


def test_record_rejects_a_non_string_name():
    with pytest.raises(TypeError, match="name must be a str"):
        recording.record(3, 1)


def test_record_interval_records_each_field_under_the_prefix():
    result = paired_bootstrap([0.5, 0.6, 0.9, 0.4], [0.4, 0.2, 0.8, 0.3], seed=0)
    assert recording.record_interval("06_ci_x", result) is result
    assert recording.recorded() == {
        "06_ci_x_difference": repr(result.difference),
        "06_ci_x_low": repr(result.low),
        "06_ci_x_high": repr(result.high),
        "06_ci_x_num_users": "4",
    }


def test_record_interval_takes_other_fields_and_names_a_missing_one():
    class Interval(NamedTuple):
        estimate: float
        low: float
        high: float

    recording.record_interval("p", Interval(0.5, 0.25, 0.75), fields=("estimate", "low", "high"))
    assert recording.recorded() == {"p_estimate": "0.5", "p_low": "0.25", "p_high": "0.75"}
    with pytest.raises(AttributeError, match="no field 'difference' to record as q_difference"):
        recording.record_interval("q", Interval(0.5, 0.25, 0.75))


def test_record_interval_can_record_one_field_under_the_bare_prefix():
    result = paired_bootstrap([0.5, 0.6, 0.9, 0.4], [0.4, 0.2, 0.8, 0.3], seed=0)
    recording.record_interval("05_diff_x", result, ("low", "high"), value="difference")
    assert list(recording.recorded()) == ["05_diff_x", "05_diff_x_low", "05_diff_x_high"]
    assert recording.recorded()["05_diff_x"] == repr(result.difference)
    with pytest.raises(AttributeError, match="no field 'gap' to record as y"):
        recording.record_interval("y", result, ("low",), value="gap")
    assert "y_low" not in recording.recorded(), "nothing is recorded when a field is missing"


def test_record_verdict_records_the_words_the_interval_allows():
    wins = paired_bootstrap([1.0, 0.9, 1.0, 0.8] * 10, [0.1, 0.2, 0.0, 0.1] * 10, seed=0)
    same = paired_bootstrap([1.0, 0.0, 1.0, 0.0] * 10, [0.0, 1.0, 0.0, 1.0] * 10, seed=0)
    words = {"above": "beats", "below": "trails", "inside": "cannot be told apart from"}
    assert recording.record_verdict("x_wins", wins, **words) == "beats"
    assert recording.record_verdict("x_same", same, **words) == "cannot be told apart from"
    assert recording.record_verdict("x_loses", wins._replace(low=-wins.high, high=-wins.low), **words) == "trails"
    assert recording.recorded() == {"x_wins": "'beats'", "x_same": "'cannot be told apart from'", "x_loses": "'trails'"}
