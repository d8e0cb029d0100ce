"""The release step's last touch: student notebooks that read well in JupyterLab, at every stage.

The source notebooks are written for the site (Jupyter Book 1): prose quotes recorded figures with
``{glue:text}`name:fmt```, cites with ``{cite}`key```, and links to pages of the book. JupyterLab
with jupyterlab-myst renders MyST (tab sets, dropdowns, admonitions, math) but has no glue store and
no bibliography, and the book's pages are not beside a learner's notebook. :class:`LearnerMarkdown`
(an nbgrader preprocessor, first in ``GenerateAssignment.preprocessors``) rewrites each student
notebook, never its source:

- a setup cell goes before the first code cell: it imports :func:`recsys_helpers.recording.glued`,
  reads the course's figures this notebook carries (:func:`~recsys_helpers.recording.use_course_figures`)
  and says in one sentence what to install when ``recsys_helpers`` is missing (the chapter's own
  :func:`~recsys_helpers.recording.record` calls keep each figure's value in the kernel);
- ``{glue:text}`name:fmt``` becomes ``{eval}`glued("name", "fmt")```, an inline expression that
  jupyterlab-myst evaluates when the cell is run, showing the learner's own figure, formatted as
  the site formats it;
- the course's own figures (``name -> text/plain`` from the executed copy in ``book/chapters/``) go
  into the notebook's metadata (``recording.COURSE_KEY``) and, already evaluated and marked as the
  course's, into each markdown cell's ``user_expressions`` (where jupyterlab-myst keeps the values it
  shows): before any cell has run the prose shows the course's figures, and each becomes the
  learner's once the cell computing it, then the prose cell, has run;
- every code cell from the first exercise on is tagged ``raises-exception``: JupyterLab's Run All
  (and nbclient) go on past it when it fails, so an unfinished exercise (its stub raises
  ``NotImplementedError``), its tests and the cells that use it show their error and the rest of
  the chapter still runs and renders. Grading ignores the tag;
- ``{cite}`a,b``` becomes readable "Author (year)" links to ``course/references.ipynb``, whose
  hover text is the full reference;
- links to book pages and chapters become links that resolve inside the learner's JupyterLab:
  ``../errata.md`` -> ``../course/errata.ipynb``, ``NN_slug.ipynb`` -> ``../NN_slug/NN_slug.ipynb``;
  other roles become plain text.

The source of a cell with nbgrader metadata is never touched (only the tag above is added), so
checksums and grading see the source's cells. The pages the links point at
(``course/errata.ipynb``, ``course/references.ipynb``) are generated from ``book/`` where learners
use them: by ``make lab`` into ``work/course/`` and by the learner archive into
``notebooks/course/`` (:func:`write_course_pages`, :func:`course_pages`).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Unicode

from course.cells import has_grading, is_answer_cell
from recsys_helpers.recording import COURSE_KEY, CourseFigure

ROOT = Path(__file__).resolve().parents[2]
COURSE_FOLDER = "course"  # work/course/: errata and references beside the chapter folders
SETUP_TAG = "course-setup"
RUN_PAST_TAG = "raises-exception"  # JupyterLab's and nbclient's tag: a failure does not stop Run All

GLUE = re.compile(r"\{glue(?::[a-z]+)?\}`([^`]+)`")
CITE = re.compile(r"\{cite(?::([a-z]+))?\}`([^`]+)`")
DOC = re.compile(r"\{doc\}`([^`<]*?)\s*(?:<([^`>]+)>)?`")
OTHER_ROLE = re.compile(r"\{(?:ref|numref|term|eq|abbr|sub|sup)\}`([^`<]*?)\s*(?:<[^`>]+>)?`")
LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)\s]+)\)")
FULL_LINK = re.compile(r"\[([^\]]*)\]\((?!https?:|mailto:|#)([^)\s]+)\)")
EVAL = re.compile(r"\{eval\}`(glued\(\"([^\"]+)\"(?:, \"([^\"]*)\")?\))`")  # expression, name, fmt
# Figures that measure the machine (times, rates, throughput, latency percentiles, memory, costs
# computed from times): every run gives other values, so they alone never make a release stale and
# never count as a changed result when two runs are compared (scripts/compare_recorded_figures.py).
MACHINE_FIGURE = re.compile(
    r"seconds|_ms(_|$)|per_second|speedup|time_ratio|cpu_hours|run_minutes|_qps_|_rate_(?![0-9])|_p50|_p99|_rps"
    r"|_cost_|memory|^A_.*_fit$|_tallrec(_top)?_hours$|_teacher_minutes$"
)


def setup_source(download_hint: str, notebook_file: str) -> str:
    """The first code cell of every student notebook (``notebook_file``: its own file name)."""
    return (
        "# Course setup: the helper package, and the figures the text quotes: the course's own\n"
        "# (greyed) until the cells computing yours have run.\n"
        "try:\n"
        "    from recsys_helpers.recording import glued, use_course_figures\n"
        "except ImportError as error:\n"
        "    raise ImportError(\n"
        + "".join(f"        {json.dumps(line, ensure_ascii=False)}\n" for line in _wrap(download_hint))
        + "    ) from error\n"
        f"use_course_figures({json.dumps(notebook_file)})"
    )


def _wrap(text: str, width: int = 70) -> list[str]:
    """``text`` cut at spaces into pieces of at most ``width`` characters (the last space kept)."""
    import textwrap

    pieces = textwrap.wrap(text, width, drop_whitespace=False)
    return pieces or [""]


def download_hint(site_url: str = "") -> str:
    where = f" ({site_url.rstrip('/')}/book/how_to_use.html)" if site_url else ""
    return (
        "This chapter needs the course's package recsys_helpers: download the course archive from "
        f"the site's 'How to use this course' page{where}, unzip it and run `make lab` there."
    )


# --------------------------------------------------------------------------- bibliography
def _authors(entry) -> str:
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [" ".join(p.last_names) or str(p) for p in people]
    names = [_plain(n) for n in names]
    if not names:
        return re.sub(r"[{}]", "", entry.fields.get("organization", entry.key))
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} et al."


def _plain(text: str) -> str:
    """BibTeX text as plain Unicode: LaTeX accents decoded, braces and backslashes dropped."""
    try:
        import codecs

        import latexcodec  # noqa: F401  (registers the "ulatex" codec; pybtex depends on it)

        text = codecs.decode(text, "ulatex")
    except (ImportError, ValueError):
        pass
    return re.sub(r"\s+", " ", re.sub(r"[{}\\]", "", text)).strip()


@lru_cache(maxsize=4)
def bibliography(bib_path: str) -> dict[str, dict[str, str]]:
    """key -> {"label": "Author (year)", "authors", "year", "full": one-line reference}."""
    from pybtex.database import parse_file

    data = parse_file(bib_path)
    refs = {}
    for key, entry in data.entries.items():
        fields = entry.fields
        year = fields.get("year", "n.d.")
        people = entry.persons.get("author") or []
        everyone = ", ".join(_plain(str(p)) for p in people) or _authors(entry)
        everyone = everyone.rstrip(".")
        venue = next((fields[f] for f in ("journal", "booktitle", "publisher", "howpublished")
                      if f in fields), "")
        full = ". ".join(part.rstrip(".") for part in (everyone, _plain(fields.get("title", "")),
                                                       _plain(venue), year) if part)
        document = re.fullmatch(r"doc(\d{3})", key)  # the five source documents
        label = f"document {document.group(1)}" if document else f"{_authors(entry)} ({year})"
        refs[key] = {"authors": _authors(entry), "year": year, "full": full, "label": label,
                     "link": fields.get("doi") and f"https://doi.org/{fields['doi']}"
                     or fields.get("url", "")}
    return refs


def cite_text(kind: str | None, keys: str, refs: dict, references_link: str) -> str:
    """Markdown for one ``{cite}`` role: linked "Author (year)"s, parenthesised for cite:p."""
    parts = []
    for key in (k.strip() for k in keys.split(",")):
        ref = refs.get(key)
        if ref is None:
            parts.append(key)
            continue
        title = ref["full"].replace('"', "'")
        label = ref["label"] if kind != "p" else f"{ref['authors']}, {ref['year']}"
        parts.append(f'[{label}]({references_link} "{title}")')
    text = "; ".join(parts)
    return f"({text})" if kind == "p" else text


# --------------------------------------------------------------------------- markdown
def chapter_link(target: str, here: str) -> str | None:
    """Where a book link points from a student notebook; None when it has no learner copy."""
    path, _, anchor = target.partition("#")
    name = Path(path).name
    stem = name.rsplit(".", 1)[0]
    if re.fullmatch(r"\d\d_[a-z0-9_]+", stem):  # a chapter
        return f"../{stem}/{stem}.ipynb"  # from a chapter folder and from course/ alike
    if stem in {"errata", "bibliography", "references"}:
        page = "errata" if stem == "errata" else "references"
        return f"../{COURSE_FOLDER}/{page}.ipynb" if here == "chapter" else f"{page}.ipynb"
    return None


def rewrite_markdown(text: str, refs: dict, here: str = "chapter") -> str:
    """The learner's version of one markdown cell (``here``: "chapter" or "course")."""
    references = f"../{COURSE_FOLDER}/references.ipynb" if here == "chapter" else "references.ipynb"

    def glue(match):
        key, _, fmt = match.group(1).partition(":")
        return "{eval}`glued(" + json.dumps(key.strip()) + (", " + json.dumps(fmt) if fmt else "") + ")`"

    text = GLUE.sub(glue, text)
    text = CITE.sub(lambda m: cite_text(m.group(1), m.group(2), refs, references), text)

    def doc(match):
        label, target = match.group(1), match.group(2) or match.group(1)
        link = chapter_link(target, here)
        label = label or Path(target).name
        return f"[{label}]({link})" if link else label

    text = DOC.sub(doc, text)
    text = OTHER_ROLE.sub(lambda m: m.group(1), text)

    def link(match):
        label, target = match.group(1), match.group(2)
        if not re.search(r"\.(md|ipynb|html)(#.*)?$", target) or target.startswith("../course/"):
            return match.group(0)
        new = chapter_link(target, here)
        return f"[{label}]({new})" if new else label  # a page learners do not have: plain text

    return FULL_LINK.sub(link, text)


def course_figures(executed: Path) -> dict[str, str]:
    """name -> ``text/plain`` of every figure the executed notebook recorded (myst_nb's glue outputs)."""
    found = {}
    for cell in nbformat.read(executed, as_version=4).cells:
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook", {})
            if "name" in scrapbook:
                found[scrapbook["name"]] = output["data"].get(scrapbook.get("mime_prefix", "") + "text/plain", "")
    return found


def course_expressions(source: str, figures: dict[str, str]) -> list[dict]:
    """jupyterlab-myst's ``user_expressions`` for a markdown cell: each ``{eval}`glued(...)``` whose
    figure the course recorded, evaluated as the kernel would before the learner's run
    (:class:`~recsys_helpers.recording.CourseFigure`)."""
    from myst_nb.core.variables import format_plain_text

    expressions = []
    for expression, name, fmt in dict.fromkeys(EVAL.findall(source)):
        if name in figures:
            value = CourseFigure(format_plain_text(figures[name], fmt or ""))
            data = {"text/plain": repr(value), "text/html": value._repr_html_()}
            expressions.append({"expression": expression, "result": {"status": "ok", "data": data, "metadata": {}}})
    return expressions


def learner_notebook(nb, refs: dict, hint: str, notebook_file: str, figures: dict[str, str]):
    """Rewrite ``nb`` in place for learners (see the module docstring) and return it.

    ``notebook_file`` is the student notebook's file name, ``figures`` the course's recorded figures
    (:func:`course_figures`; those the prose quotes are embedded).
    """
    quoted: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type == "markdown" and not has_grading(cell):
            cell.source = rewrite_markdown(cell.source, refs)
            quoted.update(name for _, name, _ in EVAL.findall(cell.source))
            expressions = course_expressions(cell.source, figures)
            if expressions:
                cell.metadata["user_expressions"] = expressions
    nb.metadata[COURSE_KEY] = {"figures": {name: figures[name] for name in sorted(quoted) if name in figures}}
    first_answer = next((i for i, c in enumerate(nb.cells) if is_answer_cell(c)), len(nb.cells))
    for cell in nb.cells[first_answer:]:
        tags = cell.metadata.setdefault("tags", []) if cell.cell_type == "code" else []
        if cell.cell_type == "code" and RUN_PAST_TAG not in tags:
            tags.append(RUN_PAST_TAG)
    if not any(SETUP_TAG in c.get("metadata", {}).get("tags", []) for c in nb.cells):
        first = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), len(nb.cells))
        setup = nbformat.v4.new_code_cell(setup_source(hint, notebook_file))
        setup.metadata["tags"] = [SETUP_TAG]
        if nb.nbformat_minor >= 5:
            setup.id = SETUP_TAG  # fixed, so a release is reproducible
        else:
            setup.pop("id", None)
        nb.cells.insert(first, setup)
    return nb


# --------------------------------------------------------------------------- course pages
def course_pages(root: Path, refs: dict) -> dict[str, nbformat.NotebookNode]:
    """The errata and the references as notebooks for ``notebooks/course/``."""
    pages = {}
    errata = (root / "book" / "errata.md").read_text(encoding="utf-8")
    errata = re.sub(r"<!--.*?-->\n?", "", errata, flags=re.S)
    sections = re.split(r"\n(?=## )", errata)
    cells = [nbformat.v4.new_markdown_cell(rewrite_markdown(s.strip(), refs, here="course"))
             for s in sections if s.strip()]
    pages["errata.ipynb"] = cells
    lines = ["# References", "",
             "Every work the course cites; the course site shows the same list under "
             "*Bibliography*.", ""]
    for key, ref in sorted(refs.items(), key=lambda kv: (kv[1]["authors"].lower(), kv[1]["year"])):
        line = f"- **{ref['label']}** {ref['full']}."
        if ref["link"]:
            line += f" <{ref['link']}>"
        lines.append(line)
    pages["references.ipynb"] = [nbformat.v4.new_markdown_cell("\n".join(lines))]
    notebooks = {}
    for name, page_cells in pages.items():
        nb = nbformat.v4.new_notebook(cells=page_cells)
        for index, cell in enumerate(nb.cells):
            cell.id = f"{Path(name).stem}-{index}"
        nb.metadata = {"kernelspec": {"display_name": "Python (recsys course)", "language": "python",
                                      "name": "recsys-course"}}
        notebooks[name] = nb
    return notebooks


def write_course_pages(root: Path, folder: Path) -> list[Path]:
    """Write the course pages from ``root``'s book/ into ``folder`` (e.g. ``work/course``).

    They are generated where they are used (``make lab``, the learner archive), never committed,
    so a new errata row or reference needs no release.
    """
    refs = bibliography(str(root / "book" / "references.bib"))
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, nb in course_pages(root, refs).items():
        path = folder / name
        text = nbformat.writes(nb) + "\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def site_url(root: Path) -> str:
    """``html.baseurl`` of ``_config.yml``: where the course site is published ("" if nowhere)."""
    try:
        import yaml

        config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
    except (OSError, ImportError):
        return ""
    return str((config.get("html") or {}).get("baseurl") or "")


class LearnerMarkdown(Preprocessor):
    """nbgrader preprocessor: the learner's readable notebook (see the module docstring)."""

    enabled = Bool(True).tag(config=True)  # nbconvert preprocessors are off unless enabled
    course_root = Unicode(str(ROOT), help="the course repository (book/, _config.yml)").tag(config=True)

    def preprocess(self, nb, resources):
        root = Path(self.course_root)
        refs = bibliography(str(root / "book" / "references.bib"))
        name = resources["nbgrader"]["notebook"]
        executed = root / "book" / "chapters" / f"{name}.ipynb"
        if executed.exists():
            figures = course_figures(executed)
        else:
            figures = {}
            self.log.warning("%s is missing (run `make execute`): the student notebook quotes no course figure",
                             executed)
        learner_notebook(nb, refs, download_hint(site_url(root)), f"{name}.ipynb", figures)
        return nb, resources
