"""The figures a chapter's prose quotes, readable in JupyterLab as well as on the site.

Chapters record every number they quote with ``myst_nb.glue(name, value, display=False)``; the
site shows it where the prose says ``{glue:text}`name:fmt```. Jupyter Book reads those values from
the executed notebook, but JupyterLab cannot. The student notebooks therefore start with a setup
cell that calls :func:`record_figures`, and the release step (``grading/release.py``) rewrites
each ``{glue:text}`` role into an inline expression ``{eval}`glued("name", "fmt")``` that
jupyterlab-myst evaluates in the learner's kernel. The learner sees the value their own run
recorded, formatted exactly as the site formats it.

Introduced by the release pipeline (issue 8); no chapter calls it in its teaching code.

>>> record_figures()  # doctest: +SKIP
>>> from myst_nb import glue
>>> glue("01_num_ratings", 100000, display=False)  # doctest: +SKIP
>>> glued("01_num_ratings", ",")  # doctest: +SKIP
100,000
"""

from __future__ import annotations

from typing import Any

__all__ = ["NOT_YET", "Glued", "glue", "glued", "record_figures", "recorded"]

#: What :func:`glued` shows for a figure whose cell has not run yet.
NOT_YET = "[run the cells above this one, then this cell again]"

_RECORDED: dict[str, str] = {}


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


def glue(name: str, variable: Any, display: bool = True) -> None:
    """``myst_nb.glue`` that also keeps ``name -> text/plain of variable`` for :func:`glued`.

    Same signature and same notebook output as ``myst_nb.glue``; ``name`` must be a str.
    """
    if not isinstance(name, str):
        raise TypeError(f"glue name must be a str, got {type(name).__name__}")
    _RECORDED[name] = _plain_text(variable)
    try:
        from myst_nb.ext.glue import glue as myst_glue
    except ImportError:  # myst_nb absent: keep the value, display nothing
        return
    myst_glue(name, variable, display=display)


def glued(name: str, fmt: str = "") -> Glued:
    """The recorded figure ``name`` formatted with ``fmt`` as the site's ``{glue:text}`` does.

    ``fmt`` is a format spec ending in its type character (``".3f"``, ``","``, ``".1%"``), or
    ``""`` for the plain text. Returns :data:`NOT_YET` when ``name`` has not been recorded in
    this kernel yet.
    """
    if name not in _RECORDED:
        return Glued(NOT_YET)
    from myst_nb.core.variables import format_plain_text

    return Glued(format_plain_text(_RECORDED[name], fmt))


def recorded() -> dict[str, str]:
    """A copy of ``name -> text/plain`` for every figure recorded in this process."""
    return dict(_RECORDED)


def record_figures() -> None:
    """Make ``from myst_nb import glue`` return :func:`glue`, which also records the value.

    Called once by the setup cell the release step puts first in every student notebook, so the
    chapter's own ``from myst_nb import glue`` (unchanged from the source) records its figures.
    Idempotent.
    """
    import myst_nb

    myst_nb.glue = glue
