"""nbgrader preprocessors that put the sandboxed checker under ``nbgrader autograde``.

nbgrader keeps its whole model -- releases, the gradebook, points, formgrader, feedback -- and
only the step that ran the notebook changes (see ``nbgrader_config.py``):

- :class:`RecordedOverwriteCells` is nbgrader's ``OverwriteCells`` (restoring edited or deleted
  test cells from the gradebook) that also records what it restored;
- :class:`SandboxedTests` replaces ``Execute``: it grades the notebook with
  :class:`course.grading.checker.Chapter` and writes each test cell's verdict as its output, which
  nbgrader's ``SaveAutoGrades`` turns into points (an error output is zero, a result holding a
  number is partial credit, anything else full marks). Test cells keep only their visible part, so
  neither feedback nor the autograded notebook carries a hidden test.
"""

from __future__ import annotations

from pathlib import Path

from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor, OverwriteCells
from traitlets import Unicode

from course.cells import HIDDEN_BLOCK, grading_of, is_test_cell
from course.grading.checker import Chapter

_CHAPTERS: dict[Path, Chapter] = {}  # one reference run per chapter and process


def chapter_for(source_notebook: Path) -> Chapter:
    """The grading view of a source notebook, built once per process."""
    key = source_notebook.resolve()
    if key not in _CHAPTERS:
        _CHAPTERS[key] = Chapter(key)
    return _CHAPTERS[key]


def _visible_lines(source: str) -> list[str]:
    return [line.rstrip() for line in HIDDEN_BLOCK.sub("", source).splitlines() if line.strip()]


class RecordedOverwriteCells(OverwriteCells):
    """``OverwriteCells`` with ``add_missing_cells``, recording each restored cell in the notebook.

    Every test cell with hidden tests is "restored" (the release lacks its hidden part); only one
    whose visible part differs from the release counts as edited.
    """

    def preprocess(self, nb: NotebookNode, resources: dict):
        self._restored: list[dict] = []
        before = {grading_of(c).get("grade_id") for c in nb.cells}
        nb, resources = super().preprocess(nb, resources)
        for cell in nb.cells:
            grade_id = grading_of(cell).get("grade_id")
            if grade_id and grade_id not in before:
                self._restored.append({"cell": grade_id, "what": "deleted, added back"})
        nb.metadata.setdefault("grading", {})["restored"] = self._restored
        return nb, resources

    def preprocess_cell(self, cell, resources, cell_index):
        submitted = cell.source if is_test_cell(cell) else None
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if submitted is not None and _visible_lines(submitted) != _visible_lines(cell.source):
            self._restored.append({"cell": grading_of(cell)["grade_id"], "what": "edited, restored"})
        return cell, resources

    def report_change(self, name, attr, old, new):
        super().report_change(name, attr, old, new)
        if attr in ("points", "locked", "cell_type"):
            self._restored.append({"cell": name, "what": f"{attr} changed, restored"})


class SandboxedTests(NbGraderPreprocessor):
    """Grade the notebook in a sandbox and record each test's verdict as the cell's output."""

    source_directory = Unicode(
        "", help="Folder of the source notebooks (nbgrader's source directory), read by the checker only."
    ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict):
        info = resources["nbgrader"]
        source = Path(self.source_directory) / info["assignment"] / f"{info['notebook']}.ipynb"
        chapter = chapter_for(source)
        restored = {r["cell"]: r["what"] for r in nb.metadata.get("grading", {}).get("restored", [])}
        verdicts, cell_errors = chapter.grade_with_report(nb)
        by_id = {exercise.grade_id: exercise for exercise in chapter.exercises}
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            cell.execution_count = None
            grade_id = grading_of(cell).get("grade_id")
            if is_test_cell(cell) and grade_id in verdicts:
                verdict = verdicts[grade_id]
                cell.source = by_id[grade_id].visible_source
                notes = []
                if grade_id in restored:
                    notes.append(f"Note: this test cell was {restored[grade_id]} before grading.\n")
                if verdict.passed:
                    cell.outputs = [new_output("stream", name="stdout", text="".join(notes) + "All tests passed.\n")]
                elif verdict.points > 0:  # some parts passed: nbgrader reads partial credit from a result
                    cell.outputs = [
                        new_output("stream", name="stdout", text="".join(notes) + verdict.message + "\n"),
                        new_output("execute_result", data={"text/plain": f"{verdict.points:g}"}, execution_count=None),
                    ]
                else:
                    cell.outputs = [
                        new_output("error", ename="Test failed", evalue="".join(notes) + verdict.message, traceback=[])
                    ]
            else:
                cell.outputs = []
                if index in cell_errors:
                    text = f"While grading, this cell raised an error: {cell_errors[index]}\n"
                    cell.outputs = [new_output("stream", name="stdout", text=text)]
        report = {
            "verdicts": {k: v.as_dict() for k, v in verdicts.items()},
            "cell_errors": {str(k): v for k, v in cell_errors.items()},
            "restored": restored,
        }
        nb.metadata.setdefault("grading", {})["report"] = report
        return nb, resources
