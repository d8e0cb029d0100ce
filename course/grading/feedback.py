"""Feedback that says why: the nbgrader preprocessor that readies an autograded notebook for its HTML.

``nbgrader generate_feedback`` renders the autograded notebook with its ``feedback`` template, which
prints a test cell's score and its outputs. :class:`ReadableFeedback` (in
``GenerateFeedback.preprocessors``, after ``GetGrades``) makes that page say what the student needs:

- a summary first: every test's verdict (passed, partly, failed), points, and the checker's message;
- each test cell's output replaced by its verdict and message, read from the grading report
  (``metadata.grading.report``, written by :class:`course.grading.nbgrader_plugin.SandboxedTests`),
  so nothing but what the checker chose to tell (never hidden test code) reaches the page;
- the prose as the student notebook shows it: each ``{eval}`glued("name", "fmt")``` becomes the
  value the student's JupyterLab last showed (jupyterlab-myst's ``user_expressions``), or the
  course's own value marked as such (:class:`recsys_helpers.recording.CourseFigure`); tab sets,
  which only jupyterlab-myst draws, become headed paragraphs.

Values that came with the submission are escaped (the page shows them as text, never as HTML),
and metadata a student edited into another shape is passed over.
"""

from __future__ import annotations

import html
import re

from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_markdown_cell, new_output
from traitlets import Bool

from course.cells import grading_of, is_test_cell
from course.publish.release import EVAL
from recsys_helpers.recording import COURSE_KEY, NOT_YET, CourseFigure

COURSE_RUN = " (course run)"  # how CourseFigure's plain text ends
TAB_ITEM = re.compile(r"^[ \t]*:{3,}[ \t]*\{tab-item\}[ \t]*(.*)$", re.M)
FENCE = re.compile(r"^[ \t]*:{3,}[ \t]*(?:\{tab-set\}.*)?\n?", re.M)  # a tab set's opening and closing lines
STYLE = """<style>
.course-verdict { margin: 0.3em 0; padding: 0.4em 0.7em; border-left: 4px solid; }
.course-verdict.passed { border-color: #2e7d32; background: #edf7ed; }
.course-verdict.partly { border-color: #b26a00; background: #fff4e5; }
.course-verdict.failed { border-color: #c62828; background: #fdecea; }
.course-verdict pre { margin: 0.3em 0 0; white-space: pre-wrap; background: none; border: none; padding: 0; }
.course-summary td, .course-summary th { padding: 0.2em 0.6em; vertical-align: top; }
</style>"""


def verdict_kind(verdict: dict, points: float) -> str:
    """"passed", "partly" (some points) or "failed"."""
    if verdict["passed"]:
        return "passed"
    return "partly" if 0 < verdict["points"] < points else "failed"


def verdict_box(verdict: dict, points: float, note: str = "") -> dict[str, str]:
    """One test's verdict as a MIME bundle: the verdict, the points and the checker's message."""
    kind = verdict_kind(verdict, points)
    title = {"passed": "Passed", "partly": "Partly passed", "failed": "Failed"}[kind]
    headline = f"{title} ({verdict['points']:g} / {points:g} points)"
    body = "\n".join(part for part in (note, "" if verdict["passed"] else verdict["message"]) if part)
    text = f"<pre>{html.escape(body)}</pre>" if body else ""
    return {"text/html": f'<div class="course-verdict {kind}"><strong>{headline}</strong>{text}</div>',
            "text/plain": f"{headline}\n{body}".rstrip()}


def figure_html(expression: str, name: str, fmt: str, shown: dict[str, dict], course: dict[str, str]) -> str:
    """What ``{eval}`expression``` showed: the student's value as text, the course's marked as such."""
    from myst_nb.core.variables import format_plain_text

    result = shown.get(expression)
    data = result.get("data") if isinstance(result, dict) and result.get("status") == "ok" else None
    text = data.get("text/plain") if isinstance(data, dict) else None
    if isinstance(text, str) and not text.endswith(COURSE_RUN):
        return html.escape(text)
    if isinstance(course.get(name), str):
        try:
            return CourseFigure(format_plain_text(course[name], fmt))._repr_html_()
        except (ValueError, TypeError):  # a value the format does not fit (edited metadata)
            return html.escape(course[name])
    return html.escape(NOT_YET)


def readable_prose(source: str, shown: dict[str, dict], course: dict[str, str]) -> str:
    """A markdown cell as the student notebook shows it, for a renderer without jupyterlab-myst."""
    source = EVAL.sub(lambda m: figure_html(m.group(1), m.group(2), m.group(3) or "", shown, course), source)
    source = TAB_ITEM.sub(lambda m: f"**{m.group(1).strip()}**\n", source)
    return FENCE.sub("", source)


class ReadableFeedback(Preprocessor):
    """nbgrader preprocessor (GenerateFeedback): verdicts, messages and readable prose (module docstring)."""

    enabled = Bool(True).tag(config=True)  # nbconvert preprocessors are off unless enabled

    def preprocess(self, nb, resources):
        report = nb.metadata.get("grading", {}).get("report", {})
        verdicts, restored = report.get("verdicts", {}), report.get("restored", {})
        carried = nb.metadata.get(COURSE_KEY)  # as submitted: a student may have edited it
        course = carried.get("figures") if isinstance(carried, dict) else None
        course = course if isinstance(course, dict) else {}
        rows = []
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                expressions = cell.metadata.get("user_expressions")
                shown = {e["expression"]: e.get("result") for e in expressions if isinstance(e, dict)
                         and isinstance(e.get("expression"), str)} if isinstance(expressions, list) else {}
                cell.source = readable_prose(cell.source, shown, course)
                continue
            grade_id = grading_of(cell).get("grade_id")
            if not is_test_cell(cell) or grade_id not in verdicts:
                continue
            verdict, points = verdicts[grade_id], float(grading_of(cell).get("points", 0))
            note = f"Note: this test cell was {restored[grade_id]} before grading." if grade_id in restored else ""
            box = verdict_box(verdict, points, note)
            cell.outputs = [new_output("display_data", data=box)]
            rows.append(f'<tr><td><a href="#{html.escape(grade_id)}"><code>{html.escape(grade_id)}</code></a></td>'
                        f"<td>{box['text/html']}</td></tr>")
        if rows:
            summary = ("## What the tests found\n\n" + STYLE + '\n<table class="course-summary">'
                       "<tr><th>Test</th><th>Verdict</th></tr>" + "".join(rows) + "</table>")
            nb.cells.insert(0, new_markdown_cell(summary))
        return nb, resources
