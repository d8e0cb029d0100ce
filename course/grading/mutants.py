"""Mutation testing of the reference solutions: do the graded tests catch a small mistake?

``make mutants`` (``python -m course.grading.mutants [NN_slug ...]``) changes each reference answer one
small step at a time -- a comparison flipped, an integer off by one, a float doubled, ``+`` for ``-``,
``*`` for ``/``, ``and`` for ``or``, a ``not`` dropped, ``mean`` for ``sum``, ``min`` for ``max`` -- and
grades every such *mutant* with the trusted checker, in the sandbox, as a student's submission. A
mutant whose exercise still gets its full points *survives*: either the tests miss a plausible mistake
(add a test) or the change cannot alter the answer (an *equivalent* mutant: say why in
``tests/grading/equivalent_mutants.py``). The score per chapter (killed / non-equivalent mutants) and
every survivor go to ``benchmarks/mutants.json``; ``tests/test_mutants.py`` fails while a recorded
survivor is neither killed nor explained.

Mutants of independent exercises share one graded submission (a round), so a chapter costs about as
many gradings as its most mutable answer has mutants; exercises whose tests or answers use each other's
names never share a round, so a failure is always the mutated exercise's own.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course.cells import SOLUTION_MARKER, grading_of, is_answer_cell
from course.grading.checker import Chapter
from course.grading.synthetic import build, solutions_of

ROOT = Path(__file__).resolve().parents[2]
RECORD = ROOT / "benchmarks" / "mutants.json"

COMPARISONS = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
               ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
OPERATORS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
             ast.Pow: ast.Mult}
BOOLEANS = {ast.And: ast.Or, ast.Or: ast.And}
NAMES = {"mean": "sum", "sum": "mean", "min": "max", "max": "min", "argmin": "argmax", "argmax": "argmin",
         "any": "all", "all": "any", "minimum": "maximum", "maximum": "minimum"}


@dataclass(frozen=True)
class Mutant:
    """One small change of one answer cell: ``description`` names it stably, ``source`` is the changed cell."""

    answer_id: str
    description: str
    source: str


def _replacements(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """(what changed, the changed node) for every mutation of ``node`` itself (not its children)."""
    found: list[tuple[str, ast.AST]] = []

    def changed(**fields) -> ast.AST:
        new = copy.copy(node)
        for name, value in fields.items():
            setattr(new, name, value)
        return new

    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in COMPARISONS:
                ops = list(node.ops)
                ops[i] = COMPARISONS[type(op)]()
                found.append((f"{type(op).__name__} -> {type(ops[i]).__name__}", changed(ops=ops)))
    elif isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        new_op = OPERATORS[type(node.op)]()
        found.append((f"{type(node.op).__name__} -> {type(new_op).__name__}", changed(op=new_op)))
    elif isinstance(node, ast.BoolOp):
        new_op = BOOLEANS[type(node.op)]()
        found.append((f"{type(node.op).__name__} -> {type(new_op).__name__}", changed(op=new_op)))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        found.append((f"{type(node.op).__name__} dropped", node.operand))
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        if isinstance(node.value, int):
            found += [(f"{node.value} -> {node.value + d}", changed(value=node.value + d)) for d in (1, -1)]
        else:
            value = 1.0 if node.value == 0 else node.value * 2
            found.append((f"{node.value!r} -> {value!r}", changed(value=value)))
    elif isinstance(node, ast.Name) and node.id in NAMES:
        found.append((f"{node.id} -> {NAMES[node.id]}", changed(id=NAMES[node.id])))
    elif isinstance(node, ast.Attribute) and node.attr in NAMES:
        found.append((f".{node.attr} -> .{NAMES[node.attr]}", changed(attr=NAMES[node.attr])))
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes (never mutated: they are text)."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def solution_region(cell_source: str) -> tuple[str, set[int] | None]:
    """The answer cell without its solution markers, and the 1-based lines of that text that lay
    between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (None: the cell has no markers, all of it
    is the answer). Lines outside are the course's scaffolding, which the student receives as is."""
    kept, region, inside = [], set(), False
    for line in cell_source.splitlines():
        if SOLUTION_MARKER.match(line):
            inside = "BEGIN" in line
            continue
        kept.append(line)
        if inside:
            region.add(len(kept))
    return "\n".join(kept) + "\n", (region if SOLUTION_MARKER.search(cell_source) else None)


def mutations(answer_id: str, cell_source: str) -> list[Mutant]:
    """Every single-step mutant of the solution region of one answer cell, in a stable order.

    ``cell_source`` is the reference cell, markers included; the mutants' sources have none. The
    description, ``"<answer_id> line L: <change> in `<the line>`"`` (L counted without the markers),
    stays the same while the line does, so the triage file can name a mutant. Docstrings are never
    changed; changes that give the same code as another mutant are dropped.
    """
    source, region = solution_region(cell_source)
    tree = ast.parse(source)
    skip = _docstrings(tree)
    lines = source.splitlines()
    nodes = [n for n in ast.walk(tree) if id(n) not in skip]
    original = ast.unparse(tree)
    seen, result, used = {original}, [], {}
    for index, node in enumerate(nodes):
        if region is not None and getattr(node, "lineno", None) not in region:
            continue
        for change, replacement in _replacements(node):
            mutated = copy.deepcopy(tree)
            target = [n for n in ast.walk(mutated) if id(n) not in _docstrings(mutated)][index]
            _swap(mutated, target, copy.deepcopy(replacement) if replacement is not node else replacement)
            text = ast.unparse(mutated)
            if text in seen:
                continue
            seen.add(text)
            line = lines[node.lineno - 1].strip()
            description = f"{answer_id} line {node.lineno}: {change} in `{line}`"
            used[description] = used.get(description, 0) + 1
            if used[description] > 1:  # the same change twice on one line: number them
                description += f" (#{used[description]})"
            result.append(Mutant(answer_id, description, text))
    return result


def _swap(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    """Put ``new`` where ``old`` is in ``tree`` (a child field or a list element)."""
    if isinstance(new, ast.AST) and new is not old:
        new = copy.deepcopy(new)
        ast.copy_location(new, old)
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, new)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return
    raise ValueError("the node to replace is not in the tree")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))


def independent_groups(chapter: Chapter, answers: dict[str, str]) -> dict[str, set[str]]:
    """test grade_id -> the other exercises it must not share a round with (either uses the other's names)."""
    uses = {ex.grade_id: _words(ex.source + "".join(answers.get(a, "") for a in ex.answer_ids))
            for ex in chapter.exercises}
    defines = {ex.grade_id: set(ex.names) for ex in chapter.exercises}
    return {a: {b for b in uses if b != a and (defines[b] & uses[a] or defines[a] & uses[b])} for a in uses}


def run_chapter(slug: str, *, course: Path = ROOT, log=print) -> dict:
    """Grade every mutant of the chapter's reference answers; return its record for benchmarks/mutants.json."""
    source_path = course / "solutions" / slug / f"{slug}.ipynb"
    release_path = course / "notebooks" / slug / f"{slug}.ipynb"
    source = nbformat.read(source_path, as_version=4)
    release = nbformat.read(release_path, as_version=4)
    chapter = Chapter(source_path)
    solved = solutions_of(source)
    cells = {grading_of(c)["grade_id"]: c.source for c in source.cells if is_answer_cell(c)}
    owner = {a: ex for ex in chapter.exercises for a in ex.answer_ids}
    pending = {ex.grade_id: [m for a in ex.answer_ids if a in cells for m in mutations(a, cells[a])]
               for ex in chapter.exercises}
    conflicts = independent_groups(chapter, solved)
    total = sum(len(v) for v in pending.values())
    killed, survived, start, rounds = 0, [], time.perf_counter(), 0
    while any(pending.values()):
        chosen: dict[str, Mutant] = {}
        for grade_id in sorted(pending, key=lambda g: -len(pending[g])):
            if pending[grade_id] and not conflicts[grade_id] & set(chosen):
                chosen[grade_id] = pending[grade_id].pop(0)
        submission = build(release, {**solved, **{m.answer_id: m.source for m in chosen.values()}})
        verdicts = chapter.grade(submission)
        rounds += 1
        for grade_id, mutant in chosen.items():
            if verdicts[grade_id].points >= owner[mutant.answer_id].points:
                survived.append(mutant.description)
            else:
                killed += 1
        log(f"{slug}: round {rounds}, {killed} killed, {len(survived)} survived of {total}")
    return {"mutants": total, "killed": killed, "survived": sorted(survived), "answers": len(cells),
            "rounds": rounds, "seconds": round(time.perf_counter() - start, 1)}


def equivalent_mutants(course: Path = ROOT) -> dict[str, dict[str, str]]:
    """chapter -> {mutant description: why it cannot change the answer}, from tests/grading/equivalent_mutants.py."""
    path = course / "tests" / "grading" / "equivalent_mutants.py"
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace["EQUIVALENT"]


def score(record: dict, equivalent: dict[str, str]) -> float:
    """Killed share of the mutants that are not explained as equivalent, in [0, 1]."""
    real = record["mutants"] - sum(1 for d in record["survived"] if d in equivalent)
    return record["killed"] / real if real else 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*", help="NN_slug (default: every chapter with exercises)")
    args = parser.parse_args(argv)
    chapters = args.chapters or sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
    record = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    equivalent = equivalent_mutants()
    unexplained = 0
    for slug in chapters:
        result = run_chapter(slug)
        result["score"] = round(score(result, equivalent.get(slug, {})), 3)
        record[slug] = result
        RECORD.write_text(json.dumps(dict(sorted(record.items())), indent=1, ensure_ascii=False) + "\n")
        open_ones = [d for d in result["survived"] if d not in equivalent.get(slug, {})]
        unexplained += len(open_ones)
        print(f"{slug}: {result['killed']} of {result['mutants']} mutants killed, score {result['score']:.3f}, "
              f"{result['seconds']:.0f} s")
        for description in open_ones:
            print(f"  survived: {description}")
    print(f"{unexplained} surviving mutant(s) neither killed nor explained in tests/grading/equivalent_mutants.py")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
