"""The figures a chapter's prose quotes, readable in JupyterLab as well as on the site.

Chapters record every number they quote with :func:`record` (one figure) or
:func:`record_interval` (an estimate with its interval ends); both store the value with
``myst_nb.glue(name, value, display=False)``, so the site shows it where the prose says
``{glue:text}`name:fmt```. Jupyter Book reads those values from the executed notebook, but
JupyterLab cannot: the release step (``course/publish/release.py``) rewrites each
``{glue:text}`` role of a student notebook into an inline expression ``{eval}`glued("name", "fmt")```
that jupyterlab-myst evaluates in the learner's kernel, where :func:`record` kept the value. The
learner sees the value their own run recorded, formatted exactly as the site formats it.

Until the learner's run has recorded a figure, the notebook shows the course's own value, marked as
such (:class:`CourseFigure`: muted, with a tooltip; "(course run)" in plain text). The release
embeds those values (from the executed copy the site was built from) in the notebook's metadata,
under ``metadata[COURSE_KEY]["figures"]``; the setup cell reads them with :func:`use_course_figures`.

>>> record("01_num_ratings", 100000)  # doctest: +SKIP
>>> glued("01_num_ratings", ",")  # doctest: +SKIP
100,000

Introduced by the release pipeline (issue 8); :func:`record` replaced the chapters' direct
``glue`` calls in issue 16.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["COURSE_KEY", "NOT_YET", "CourseFigure", "Glued", "glued", "record", "record_interval", "record_verdict",
           "recorded", "use_course_figures"]

#: What :func:`glued` shows for a figure neither the learner's run nor the course recorded.
NOT_YET = "[run the cells above this one, then this cell again]"

#: The student notebook's metadata key holding ``{"figures": {name: text/plain}}`` (the course's run).
COURSE_KEY = "recsys_course"

#: The tooltip of a course value: why it is there and how to replace it.
COURSE_NOTE = "The course's own run: run the cell that computes this figure, then this cell, to see yours."

#: The fields :func:`record_interval` records by default.
INTERVAL_FIELDS = ("difference", "low", "high", "num_users")

_RECORDED: dict[str, str] = {}
_COURSE: dict[str, str] = {}


class Glued(str):
    """A formatted figure; its ``repr`` is the text itself, so Jupyter shows no quotes."""

    def __repr__(self) -> str:
        return str(self)


def _plain_text(value: Any) -> str:
    """The ``text/plain`` representation Jupyter (and so myst_nb) would record for ``value``."""
    try:
        from IPython.core.formatters import format_display_data

        bundle, _ = format_display_data(value)
        return bundle.get("text/plain", repr(value))
    except Exception:  # outside IPython, or a value IPython cannot format
        return repr(value)


def record(name: str, value: Any) -> None:
    """Record the figure ``name`` for the prose: ``myst_nb.glue(name, value, display=False)``.

    The notebook output is exactly myst_nb's (nothing is displayed); the value is also kept,
    as its ``text/plain`` representation, for :func:`glued` and :func:`recorded`. Without
    myst_nb installed the value is only kept.

    Raises
    ------
    TypeError
        ``name`` is not a str.
    """
    if not isinstance(name, str):
        raise TypeError(f"a figure's name must be a str, got {type(name).__name__}")
    _RECORDED[name] = _plain_text(value)
    try:
        from myst_nb.ext.glue import glue as myst_glue
    except ImportError:  # myst_nb absent: keep the value, display nothing
        return
    myst_glue(name, value, display=False)


def record_interval(
    prefix: str, result: Any, fields: Iterable[str] = INTERVAL_FIELDS, *, value: str | None = None
) -> Any:
    """Record ``f"{prefix}_{field}"`` for each field of ``result``; returns ``result``.

    ``result`` is a named tuple such as
    :class:`~recsys_helpers.uncertainty.PairedBootstrapResult` (default fields ``difference``,
    ``low``, ``high``, ``num_users``) or :class:`~recsys_helpers.uncertainty.BootstrapResult`
    (pass ``fields=("estimate", "low", "high")``). With ``value``, that field is also recorded
    under ``prefix`` itself (first). Values are recorded as they are.

    >>> record_interval("06_ci_warm", paired_bootstrap(a, b, seed=SEED))  # doctest: +SKIP
    >>> record_interval("05_diff_x", gap, ("low", "high"), value="difference")  # doctest: +SKIP

    Raises
    ------
    AttributeError
        ``result`` has no field of that name (the message names it).
    """
    names = [(prefix, value)] if value is not None else []
    names += [(f"{prefix}_{field}", field) for field in fields]
    for name, field in names:
        if not hasattr(result, field):
            raise AttributeError(f"{type(result).__name__} has no field {field!r} to record as {name}")
    for name, field in names:
        record(name, getattr(result, field))
    return result


def record_verdict(name: str, result: Any, *, above: str, below: str, inside: str) -> str:
    """Record under ``name`` the words the interval ``(result.low, result.high)`` of a difference allows.

    The prose then quotes the verdict instead of asserting it (``SASRec {glue:text}`05_verdict```),
    so a sentence can never claim "beats" when the interval contains zero; see
    :func:`recsys_helpers.uncertainty.verdict` for the rule. Returns the words.

    >>> record_verdict("05_sasrec_vs_markov", gap, above="beats", below="trails",
    ...                inside="cannot be told apart from")  # doctest: +SKIP
    """
    from recsys_helpers.uncertainty import verdict

    words = verdict(result.low, result.high, above=above, below=below, inside=inside)
    record(name, words)
    return words


class CourseFigure(Glued):
    """A figure as the course's run recorded it: ``"0.351 (course run)"`` as plain text, muted with a
    tooltip (:data:`COURSE_NOTE`) in HTML, which JupyterLab and the feedback pages show."""

    def __repr__(self) -> str:
        return f"{self} (course run)"

    def _repr_html_(self) -> str:
        return (f'<span class="recsys-course-figure" title="{html.escape(COURSE_NOTE)}" '
                f'style="color: #6a737d; border-bottom: 1px dotted #6a737d; cursor: help">'
                f"{html.escape(str(self))}</span>")


def glued(name: str, fmt: str = "") -> Glued:
    """The recorded figure ``name`` formatted with ``fmt`` as the site's ``{glue:text}`` does.

    ``fmt`` is a format spec ending in its type character (``".3f"``, ``","``, ``".1%"``), or
    ``""`` for the plain text. The learner's own value when :func:`record` kept one in this kernel,
    else the course's (a :class:`CourseFigure`, see :func:`use_course_figures`), else :data:`NOT_YET`.
    """
    from myst_nb.core.variables import format_plain_text

    if name in _RECORDED:
        return Glued(format_plain_text(_RECORDED[name], fmt))
    if name in _COURSE:
        return CourseFigure(format_plain_text(_COURSE[name], fmt))
    return Glued(NOT_YET)


def use_course_figures(notebook: str | Path) -> int:
    """Let :func:`glued` fall back on the course's figures that ``notebook``'s metadata carries.

    ``notebook`` is the student notebook's file (the setup cell names its own; the kernel runs in
    its folder). Returns how many figures were read: 0 when the file is not there (renamed, or run
    elsewhere, e.g. when grading) or carries none, and :func:`glued` then says :data:`NOT_YET`.
    """
    path = Path(notebook)
    if not path.is_file():
        return 0
    figures = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get(COURSE_KEY, {}).get("figures", {})
    _COURSE.clear()
    _COURSE.update(figures)
    return len(figures)


def recorded() -> dict[str, str]:
    """A copy of ``name -> text/plain`` for every figure recorded in this process."""
    return dict(_RECORDED)
