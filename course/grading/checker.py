"""The trusted side of grading: runs each chapter's tests against a sandboxed submission.

For a chapter (an nbgrader source notebook in ``solutions/``), :class:`Chapter`

1. reads its exercises: each graded test cell, the solution cells before it and the names they
   define, the points, the hidden lines, and the functions the exercise forbids
   (``"grading": {"forbid": [...]}`` in a solution cell's metadata);
2. runs the chapter once *here*, with the reference solutions, skipping cells tagged ``demo``,
   and keeps the namespace each test cell would see (the context);
3. grades a submission: its cells run in a sandbox (:mod:`course.grading.sandbox`); each test cell runs
   here in its context, with the exercise's names bound to the student's objects, which answer
   remotely with plain data. The student's code never runs in this process, so it cannot disarm
   a test, and each exercise is graded apart from the others.

An exercise is all or nothing unless its test cell splits its points over named parts
(:mod:`recsys_helpers.partial_credit`): then each part is graded on its own and the verdict names
the parts that failed.

What a failed test tells the student: for a visible test, the failing line and its message; for
a hidden test, the course's own words only -- the message the test's ``assert`` or ``raise`` gives,
with every value that came from the student's code shown as a placeholder (a hidden test's inputs
must not travel back through an answer), and for an error of the student's code its type and the
student's own lines, never its message. See :func:`hidden_message`.

``python -m course.grading.checker SOURCE.ipynb SUBMISSION.ipynb`` grades one notebook and prints JSON.
"""

from __future__ import annotations

import ast
import io
import json
import math
import os
import sys
import traceback
import warnings
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course.cells import (
    grading_of,
    hidden_line_numbers,
    is_answer_cell,
    is_demo_cell,
    is_test_cell,
    options_of,
    visible_tests,
)
from course.grading.sandbox import (
    MISSING,
    AnswerRefused,
    Limits,
    RemoteRef,
    SandboxFailure,
    StudentProcess,
    _StudentRaised,
)
from recsys_helpers.partial_credit import RECORDER

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
    parts: dict[str, float] = field(default_factory=dict)  # name -> points; empty: all or nothing

    @property
    def visible_source(self) -> str:
        return visible_tests(self.source, "# (hidden tests ran here when the notebook was graded)")


@dataclass
class Verdict:
    passed: bool
    message: str
    points: float

    def as_dict(self) -> dict:
        return {"passed": self.passed, "message": self.message, "points": self.points}


def declared_parts(source: str) -> dict[str, float]:
    """The ``with part("name", points=N)`` blocks of a test cell: name -> points, in order.

    Raises ValueError for a part whose name or points are not literals, or a name used twice.
    """
    parts: dict[str, float] = {}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.With, ast.AsyncWith)):
            continue
        for item in node.items:
            call = item.context_expr
            func = call.func if isinstance(call, ast.Call) else None
            if not (isinstance(func, ast.Name) and func.id == "part" or isinstance(func, ast.Attribute)
                    and func.attr == "part"):
                continue
            points = [k.value for k in call.keywords if k.arg == "points"]
            if len(call.args) != 1 or not isinstance(call.args[0], ast.Constant) or len(points) != 1:
                raise ValueError(f"line {call.lineno}: write a part as part(\"name\", points=N)")
            name, value = call.args[0].value, points[0]
            if not isinstance(value, ast.Constant) or not isinstance(value.value, (int, float)):
                raise ValueError(f"line {call.lineno}: the points of the part {name!r} must be a number literal")
            if name in parts:
                raise ValueError(f"line {call.lineno}: two parts are named {name!r}")
            parts[name] = float(value.value)
    return parts


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
                pending_forbid += options_of(cell).get("forbid", [])
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
                        seconds=float(options_of(cell).get("seconds", limits.test_seconds)),
                        parts=self._parts_of(info["grade_id"], cell.source, float(info.get("points", 0))),
                    )
                )
                pending_ids, pending_names, pending_forbid = [], [], []
        self.forbid = list(dict.fromkeys(p for ex in self.exercises for p in ex.forbid))
        for cell in self.notebook.cells:
            own_forbid = options_of(cell).get("forbid", [])
            if is_answer_cell(cell) and borrowed_names(cell.source, own_forbid):
                raise CourseError(
                    f"{self.path.name}: the reference answer {grading_of(cell)['grade_id']} refers to "
                    f"{borrowed_names(cell.source, own_forbid)}, which its exercise forbids"
                )
        self._contexts: dict[str, dict] | None = None

    def _parts_of(self, grade_id: str, source: str, points: float) -> dict[str, float]:
        try:
            parts = declared_parts(source)
        except (SyntaxError, ValueError) as error:
            raise CourseError(f"{self.path.name}: the test cell {grade_id}: {error}") from None
        if parts and not math.isclose(sum(parts.values()), points):
            raise CourseError(
                f"{self.path.name}: the parts of {grade_id} add up to {sum(parts.values()):g} points, "
                f"the cell is worth {points:g}"
            )
        return parts

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
        parts = _PartRecorder(self, exercise, namespace, student) if exercise.parts else None
        stopped = None  # why the test cell ended early
        try:
            student.start_test(exercise.seconds)
            for name in exercise.names:
                namespace.pop(name, None)
                value = student.ask("fetch", key=exercise.grade_id, name=name)
                if value is not MISSING:
                    namespace[name] = value
            code = compile(exercise.source, f"<test {exercise.grade_id}>", "exec")
            token = RECORDER.set(parts)
            try:
                with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    exec(code, namespace)
            finally:
                RECORDER.reset(token)
        except SandboxFailure as failure:
            stopped = _stop_message(failure)
        except Exception as error:  # a failed test is a verdict, whatever it raised
            if student.borrowed:
                return fail(_borrowed_message(student.borrowed))
            stopped = self._explain(exercise, error, namespace, student.received)
        finally:
            borrowed_at_run_time = student.end_test()
        if borrowed_at_run_time:
            return fail(_borrowed_message(borrowed_at_run_time))
        if parts is not None:
            return parts.verdict(stopped)
        return fail(stopped) if stopped else Verdict(True, "passed", exercise.points)

    def _explain(self, exercise: Exercise, error: BaseException, namespace: dict, received: list) -> str:
        """A message that quotes visible test lines only, never a hidden one (see :func:`hidden_message`)."""
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
            if hidden:
                head = (
                    f"Your code raised {info.get('type')} in a hidden test (its message is not shown: "
                    "in a hidden test it could repeat the test's inputs)"
                )
            else:
                head = f"Your code raised {info.get('type')}" + (f": {message}" if message else "")
                head += f" (at test line {lineno}: {lines[lineno - 1].strip()})"
            return head + (f"\n{trace}" if trace else "")
        kind = type(error).__name__
        if hidden:
            return hidden_message(exercise.source, lineno, error, namespace, received)
        detail = f": {what}" if what else ""
        return f"Test line {lineno} failed with {kind}{detail}\n    {lines[lineno - 1].strip()}"


class _PartRecorder:
    """Records the verdict of each part of one test cell (installed as ``partial_credit.RECORDER``)."""

    def __init__(self, chapter: Chapter, exercise: Exercise, namespace: dict, student: StudentProcess):
        self.chapter, self.exercise, self.namespace, self.student = chapter, exercise, namespace, student
        self.outcomes: dict[str, str | None] = {}  # name -> None (passed) or why it failed

    def record(self, name: str, error: BaseException | None) -> bool:
        if error is None:
            self.outcomes[name] = None
            return False
        if isinstance(error, SandboxFailure):
            self.outcomes[name] = _stop_message(error)
            return isinstance(error, AnswerRefused)  # the process goes on after a refused answer only
        if not isinstance(error, Exception):
            return False
        if self.student.borrowed:
            self.outcomes[name] = _borrowed_message(self.student.borrowed)
        else:
            self.outcomes[name] = self.chapter._explain(self.exercise, error, self.namespace, self.student.received)
        return True

    def verdict(self, stopped: str | None) -> Verdict:
        """Points of the parts that passed; the message lists every part and what stopped the cell."""
        lines, earned = [], 0.0
        for name, points in self.exercise.parts.items():
            worth = f"{name} ({points:g} point{'s' if points != 1 else ''})"
            if name not in self.outcomes:
                lines.append(f"- not run: {worth}")
            elif self.outcomes[name] is None:
                lines.append(f"- passed: {worth}")
                earned += points
            else:
                lines.append(f"- FAILED: {worth}: {self.outcomes[name]}")
        passed = sum(outcome is None for outcome in self.outcomes.values())
        head = f"{passed} of {len(self.exercise.parts)} parts passed ({earned:g} of {self.exercise.points:g} points)."
        if stopped and stopped not in self.outcomes.values():
            lines.append(f"The test stopped outside its parts: {stopped}")
        all_passed = stopped is None and passed == len(self.exercise.parts)
        return Verdict(all_passed, "passed" if all_passed else "\n".join([head, *lines]), earned)


class _Withheld:
    """Stands in for the student's values when a hidden test's message is written out."""

    TEXT = "<your value: not shown in a hidden test>"

    def __repr__(self) -> str:
        return self.TEXT

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return self.TEXT

    def __getattr__(self, name: str):
        return self

    def _same(self, *args, **kwargs):
        return self

    __call__ = __getitem__ = __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _same
    __truediv__ = __rtruediv__ = __neg__ = __abs__ = __round__ = _same


def _students(value, received_ids: set[int], depth: int = 0) -> bool:
    if isinstance(value, RemoteRef) or id(value) in received_ids:
        return True
    if depth < 3 and type(value) in (list, tuple):
        return any(_students(v, received_ids, depth + 1) for v in value)
    return False


def _received_ids(received: list, depth: int = 0) -> set[int]:
    """Ids of the values the student's process sent, and of the items of its lists, tuples and dicts."""
    ids = set()
    for value in received:
        ids.add(id(value))
        if depth < 3 and type(value) in (list, tuple, set, frozenset):
            ids |= _received_ids(list(value), depth + 1)
        elif depth < 3 and type(value) is dict:
            ids |= _received_ids([*value.keys(), *value.values()], depth + 1)
    return ids


def hidden_message(source: str, lineno: int | None, error: BaseException, namespace: dict, received: list) -> str:
    """What a student may learn from a hidden test that failed at ``lineno``: the course's own words.

    The message of the ``assert`` (or ``raise``) at that line is written out again with every name
    bound to the student's values (their functions, what they returned, the items of it) replaced by
    a placeholder, so no text the student's code produced reaches the feedback. An error raised by
    anything else (Python, NumPy, pandas) reports its type only: its message is computed from the
    test's inputs.
    """
    kind = type(error).__name__
    withheld = f"A hidden test failed with {kind} (its message is not shown: it is computed from the test's inputs)."
    node = _statement_at(source, lineno) if lineno else None
    message = None
    if isinstance(node, ast.Assert) and isinstance(error, AssertionError):
        message = node.msg
        if message is None:
            return "A hidden test failed (the test gives no message)."
    elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and len(node.exc.args) == 1:
        message = node.exc.args[0]
    if message is None:
        return withheld
    received_ids = _received_ids(received)
    shadow = {k: _Withheld() if _students(v, received_ids) else v for k, v in namespace.items()}
    try:
        text = str(eval(compile(ast.Expression(message), "<hidden test message>", "eval"), shadow))
    except Exception:  # the message needs the student's value itself (len() of it, say)
        return withheld
    return f"A hidden test failed with {kind}: {text}"


def _statement_at(source: str, lineno: int) -> ast.stmt | None:
    """The innermost simple statement of ``source`` whose lines hold ``lineno``."""
    found = None
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Assert, ast.Raise)) and node.lineno <= lineno <= (node.end_lineno or node.lineno):
            found = node
    return found


def _stop_message(failure: SandboxFailure) -> str:
    if isinstance(failure, AnswerRefused):
        return f"Your answer was refused: {failure}."
    return f"Your code was stopped: {failure}."


def _borrowed_message(paths: list[str]) -> str:
    names = ", ".join(f"`{p}`" for p in dict.fromkeys(paths))
    return (
        f"This exercise asks you to write the code yourself, but the answer uses {names}. "
        "No points for this exercise."
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m course.grading.checker SOURCE.ipynb SUBMISSION.ipynb", file=sys.stderr)
        return 2
    chapter = Chapter(Path(args[0]))
    verdicts = chapter.grade(nbformat.read(args[1], as_version=4))
    print(json.dumps({k: v.as_dict() for k, v in verdicts.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
