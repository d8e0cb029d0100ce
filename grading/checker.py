"""The trusted side of grading: runs each chapter's tests against a sandboxed submission.

For a chapter (an nbgrader source notebook in ``solutions/``), :class:`Chapter`

1. reads its exercises: each graded test cell, the solution cells before it and the names they
   define, the points, the hidden lines, and the functions the exercise forbids
   (``"grading": {"forbid": [...]}`` in a solution cell's metadata);
2. runs the chapter once *here*, with the reference solutions, skipping cells tagged ``demo``,
   and keeps the namespace each test cell would see (the context);
3. grades a submission: its cells run in a sandbox (:mod:`grading.sandbox`); each test cell runs
   here in its context, with the exercise's names bound to the student's objects, which answer
   remotely with plain data. The student's code never runs in this process, so it cannot disarm
   a test, and each exercise is graded apart from the others.

``python -m grading.checker SOURCE.ipynb SUBMISSION.ipynb`` grades one notebook and prints JSON.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import sys
import traceback
import warnings
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grading.sandbox import MISSING, Limits, SandboxFailure, StudentProcess, _StudentRaised

HIDDEN_BLOCK = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[^\n]*\n?", re.S | re.M)
DYNAMIC_LOOKUPS = ("importlib", "__import__", "reload", "exec", "eval", "globals", "vars")


class CourseError(RuntimeError):
    """The chapter itself is broken for grading (its reference solution fails a test)."""


@dataclass
class Exercise:
    """One graded test cell and the answer cells it grades."""

    grade_id: str
    points: float
    source: str  # the test code, hidden tests included
    hidden_lines: set[int]  # 1-based line numbers of the hidden part of ``source``
    answer_ids: list[str]  # grade_ids of the solution cells it grades
    names: list[str]  # names those cells define
    forbid: list[str] = field(default_factory=list)
    seconds: float = 60.0

    @property
    def visible_source(self) -> str:
        stripped = HIDDEN_BLOCK.sub("", self.source).rstrip()
        if stripped != self.source.rstrip():
            stripped += "\n# (hidden tests ran here when the notebook was graded)"
        return stripped


@dataclass
class Verdict:
    passed: bool
    message: str
    points: float

    def as_dict(self) -> dict:
        return {"passed": self.passed, "message": self.message, "points": self.points}


def grading_of(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_test_cell(cell) -> bool:
    info = grading_of(cell)
    return cell.get("cell_type") == "code" and bool(info.get("grade")) and not info.get("solution")


def is_answer_cell(cell) -> bool:
    info = grading_of(cell)
    return cell.get("cell_type") == "code" and bool(info.get("solution"))


def is_demo_cell(cell) -> bool:
    return "demo" in cell.get("metadata", {}).get("tags", [])


def defined_names(source: str) -> list[str]:
    """Top-level names a cell binds: functions, classes and assigned variables."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names: list[str] = []

    def add_target(target):
        if isinstance(target, ast.Name):
            names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                add_target(element)

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                add_target(target)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            add_target(node.target)
    return list(dict.fromkeys(names))


def hidden_line_numbers(source: str) -> set[int]:
    lines: set[int] = set()
    for match in HIDDEN_BLOCK.finditer(source):
        first = source.count("\n", 0, match.start()) + 1
        last = source.count("\n", 0, match.end() - 1) + 1
        lines.update(range(first, last + 1))
    return lines


def _bound_here(tree: ast.AST) -> set[str]:
    """Names an answer binds itself (definitions, arguments, assignments), imports excepted."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound


def borrowed_names(answer_source: str, forbid: list[str]) -> list[str]:
    """Forbidden functions that an answer refers to, and dynamic look-ups that could hide one.

    An answer refers to ``pkg.mod.f`` when it imports ``f``, uses a name ``f`` it does not bind
    itself (an alias of the notebook's import), reads an attribute ``.f`` of anything but ``self``,
    or holds the string ``"f"`` (for ``getattr``). The forbidden function is also disabled in the
    sandbox, which catches the calls this reading cannot see.
    """
    if not forbid:
        return []
    short = {path.rpartition(".")[2]: path for path in forbid}
    try:
        tree = ast.parse(answer_source)
    except SyntaxError:
        return []
    own = _bound_here(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        word = None
        if isinstance(node, ast.Name) and node.id not in own:
            word = node.id
        elif isinstance(node, ast.Attribute) and not (isinstance(node.value, ast.Name) and node.value.id == "self"):
            word = node.attr
        elif isinstance(node, ast.alias):
            word = node.name.rpartition(".")[2]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [path for name, path in short.items() if node.value in (name, path)]
        if word in short:
            found.append(short[word])
        elif word in DYNAMIC_LOOKUPS:
            found.append(f"{word} (a dynamic look-up, not allowed in this exercise)")
    return list(dict.fromkeys(found))


class Chapter:
    """The trusted side of one chapter: its exercises and the context of each test."""

    def __init__(self, source_notebook: Path, *, limits: Limits | None = None):
        self.path = Path(source_notebook)
        self.limits = limits = limits or Limits.from_env()
        self.notebook = nbformat.read(self.path, as_version=4)
        self.exercises: list[Exercise] = []
        self.demo_sources = {cell.source.strip() for cell in self.notebook.cells if is_demo_cell(cell)}
        self.course_sources = {  # the chapter's own code cells, exactly as released
            cell.source.strip()
            for cell in self.notebook.cells
            if cell.cell_type == "code" and not is_answer_cell(cell) and not is_test_cell(cell)
        }
        pending_ids, pending_names, pending_forbid = [], [], []
        for cell in self.notebook.cells:
            if is_answer_cell(cell):
                pending_ids.append(grading_of(cell)["grade_id"])
                pending_names += defined_names(cell.source)
                pending_forbid += cell.metadata.get("grading", {}).get("forbid", [])
            elif is_test_cell(cell):
                info = grading_of(cell)
                self.exercises.append(
                    Exercise(
                        grade_id=info["grade_id"],
                        points=float(info.get("points", 0)),
                        source=cell.source,
                        hidden_lines=hidden_line_numbers(cell.source),
                        answer_ids=pending_ids,
                        names=list(dict.fromkeys(pending_names)),
                        forbid=list(dict.fromkeys(pending_forbid)),
                        seconds=float(cell.metadata.get("grading", {}).get("seconds", limits.test_seconds)),
                    )
                )
                pending_ids, pending_names, pending_forbid = [], [], []
        self.forbid = list(dict.fromkeys(p for ex in self.exercises for p in ex.forbid))
        for cell in self.notebook.cells:
            own_forbid = cell.metadata.get("grading", {}).get("forbid", [])
            if is_answer_cell(cell) and borrowed_names(cell.source, own_forbid):
                raise CourseError(
                    f"{self.path.name}: the reference answer {grading_of(cell)['grade_id']} refers to "
                    f"{borrowed_names(cell.source, own_forbid)}, which its exercise forbids"
                )
        self._contexts: dict[str, dict] | None = None

    # ------------------------------------------------------------------ the reference run
    def contexts(self) -> dict[str, dict]:
        """grade_id -> the namespace its test cell sees, from one run of the reference (cached)."""
        if self._contexts is None:
            self._contexts = self._run_reference()
        return self._contexts

    def _run_reference(self) -> dict[str, dict]:
        namespace: dict = {"__name__": "__course__"}
        exec("from IPython.display import display", namespace)
        contexts: dict[str, dict] = {}
        cwd = os.getcwd()
        os.chdir(self.path.parent)
        try:
            with redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for index, cell in enumerate(self.notebook.cells):
                    if cell.cell_type != "code" or is_demo_cell(cell):
                        continue
                    if is_test_cell(cell):
                        contexts[grading_of(cell)["grade_id"]] = dict(namespace)
                    try:
                        exec(compile(cell.source, f"<{self.path.stem} cell {index}>", "exec"), namespace)
                    except Exception as error:
                        raise CourseError(
                            f"{self.path.name} cell {index} fails in the grading run (demo cells skipped): "
                            f"{type(error).__name__}: {error}"
                        ) from error
        finally:
            os.chdir(cwd)
        return contexts

    # ------------------------------------------------------------------ one submission
    def steps_for(self, submission: nbformat.NotebookNode) -> list[dict]:
        """What the sandbox runs: every code cell but the tests and the demos, in order."""
        known = {ex.grade_id: ex for ex in self.exercises}
        steps, snapped = [], set()
        for index, cell in enumerate(submission.cells):
            if cell.get("cell_type") != "code":
                continue
            if is_test_cell(cell):
                grade_id = grading_of(cell).get("grade_id")
                if grade_id in known and grade_id not in snapped:
                    steps.append({"op": "snapshot", "key": grade_id, "names": known[grade_id].names})
                    snapped.add(grade_id)
            elif cell.source.strip() and cell.source.strip() not in self.demo_sources:
                course_cell = not is_answer_cell(cell) and cell.source.strip() in self.course_sources
                steps.append({"op": "exec", "index": index, "source": cell.source, "course_cell": course_cell})
        for grade_id, exercise in known.items():  # a deleted test cell: its names as they end up
            if grade_id not in snapped:
                steps.append({"op": "snapshot", "key": grade_id, "names": exercise.names})
        return steps

    def grade(self, submission: nbformat.NotebookNode) -> dict[str, Verdict]:
        """grade_id -> verdict for every test cell of the chapter."""
        return self.grade_with_report(submission)[0]

    def grade_with_report(self, submission: nbformat.NotebookNode) -> tuple[dict[str, Verdict], dict[int, str]]:
        """The verdicts, and the errors of the submission's own cells by cell index."""
        contexts = self.contexts()
        answers = {
            grading_of(cell)["grade_id"]: cell.source
            for cell in submission.cells
            if is_answer_cell(cell) and "grade_id" in grading_of(cell)
        }
        student = StudentProcess(self.steps_for(submission), forbid=self.forbid, limits=self.limits)
        try:
            student.prepare()
            verdicts = {
                exercise.grade_id: self._grade_one(exercise, contexts[exercise.grade_id], student, answers)
                for exercise in self.exercises
            }
            return verdicts, dict(student.cell_errors)
        finally:
            student.close()

    def _grade_one(self, exercise: Exercise, context: dict, student: StudentProcess, answers: dict) -> Verdict:
        fail = lambda message: Verdict(False, message, 0.0)  # noqa: E731
        borrowed = [b for aid in exercise.answer_ids for b in borrowed_names(answers.get(aid, ""), exercise.forbid)]
        if borrowed:
            return fail(_borrowed_message(borrowed))
        namespace = dict(context)
        try:
            student.start_test(exercise.seconds)
            for name in exercise.names:
                namespace.pop(name, None)
                value = student.ask("fetch", key=exercise.grade_id, name=name)
                if value is not MISSING:
                    namespace[name] = value
            code = compile(exercise.source, f"<test {exercise.grade_id}>", "exec")
            with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(code, namespace)
        except SandboxFailure as failure:
            return fail(f"Your code was stopped: {failure}.")
        except Exception as error:  # a failed test is a verdict, whatever it raised
            if student.borrowed:
                return fail(_borrowed_message(student.borrowed))
            return fail(self._explain(exercise, error))
        finally:
            borrowed_at_run_time = student.end_test()
        if borrowed_at_run_time:
            return fail(_borrowed_message(borrowed_at_run_time))
        return Verdict(True, "passed", exercise.points)

    def _explain(self, exercise: Exercise, error: Exception) -> str:
        """A message that quotes visible test lines only, never a hidden one."""
        lines = exercise.source.splitlines()
        test_frames = [
            f for f in traceback.extract_tb(error.__traceback__) if f.filename == f"<test {exercise.grade_id}>"
        ]
        lineno = test_frames[-1].lineno if test_frames else None
        hidden = lineno in exercise.hidden_lines if lineno else True
        what = str(error).strip()
        if isinstance(error, NameError) and any(f"'{n}'" in what for n in exercise.names):
            return f"Your answer does not define what the exercise asks for ({what})."
        if isinstance(error, _StudentRaised):
            info = error.student_info
            trace = "\n".join(info.get("frames", []))
            message = str(info.get("message") or "").strip()
            head = f"Your code raised {info.get('type')}" + (f": {message}" if message else "")
            where = "in a hidden test" if hidden else f"at test line {lineno}: {lines[lineno - 1].strip()}"
            return f"{head} ({where})" + (f"\n{trace}" if trace else "")
        kind = type(error).__name__
        if hidden:
            detail = f": {what}" if what else " (the test gives no message)"
            return f"A hidden test failed with {kind}{detail}."
        detail = f": {what}" if what else ""
        return f"Test line {lineno} failed with {kind}{detail}\n    {lines[lineno - 1].strip()}"


def _borrowed_message(paths: list[str]) -> str:
    names = ", ".join(f"`{p}`" for p in dict.fromkeys(paths))
    return (
        f"This exercise asks you to write the code yourself, but the answer uses {names}. "
        "No points for this exercise."
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m grading.checker SOURCE.ipynb SUBMISSION.ipynb", file=sys.stderr)
        return 2
    chapter = Chapter(Path(args[0]))
    verdicts = chapter.grade(nbformat.read(args[1], as_version=4))
    print(json.dumps({k: v.as_dict() for k, v in verdicts.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
