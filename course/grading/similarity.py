"""Similarity report of a class's answers (``make similarity``), with copydetect's fingerprints.

``python -m course.grading.similarity [NN_slug ...]`` reads every ``submitted/STUDENT/NN_slug/*.ipynb``
and compares, answer cell by answer cell (nbgrader's solution cells):

- every two students' answers to the same exercise;
- every answer with the course's own code: the solution of that exercise and every top-level
  function and class of ``recsys_helpers`` (what a learner could paste from the site or the library).

Code is tokenised and winnowed by copydetect (names, strings and layout do not matter); the
fingerprints of the released notebook's answer cells (signatures, docstrings, ``raise
NotImplementedError``) are boilerplate and never count. A pair is reported when at least
``--share`` of one answer's fingerprinted tokens, and at least ``--tokens`` tokens, appear in the
other. The report, ``similarity/NN_slug.md``, lists the pairs, largest first, each with both answers
and the shared lines marked; it is evidence to read, not a verdict.
"""

from __future__ import annotations

import argparse
import ast
import io
import itertools
import sys
import time
from dataclasses import dataclass
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

import nbformat
import numpy as np
from copydetect import CodeFingerprint, compare_files

from course.cells import grading_of, is_answer_cell
from course.grading.synthetic import solutions_of

NOISE_TOKENS = 25  # copydetect's k: shorter shared runs are noise (its default)
SHARE = 0.5  # least share of an answer's fingerprinted code found in the other
LIBRARY = Path(find_spec("recsys_helpers").origin).parent  # found, not imported (torch is slow to import)
MIN_TOKENS = 60  # least shared tokens: a short answer written twice the same way is no evidence


@dataclass
class Pair:
    """One reported resemblance: ``first`` (a student) and ``second`` (a student or the course's code)."""

    exercise: str
    first: str
    second: str
    shares: tuple[float, float]  # share of each side's fingerprinted code found in the other, in [0, 1]
    tokens: int  # shared tokens
    codes: tuple[str, str]
    slices: tuple[np.ndarray, np.ndarray]  # (2, n) start/end character offsets of the shared runs


def answers_of(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """answer cell grade_id -> its source."""
    return {grading_of(c)["grade_id"]: c.source for c in notebook.cells if is_answer_cell(c)}


def library_code(package: Path) -> dict[str, str]:
    """``recsys_helpers.module.name`` -> source, for every top-level function and class of ``package``."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        source = path.read_text()
        module = ".".join(path.relative_to(package.parent).with_suffix("").parts)
        for node in ast.parse(source).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found[f"{module}.{node.name}"] = ast.get_source_segment(source, node)
    return found


def fingerprint(code: str, boilerplate: set[int] | None = None) -> CodeFingerprint:
    return CodeFingerprint("answer.py", NOISE_TOKENS, 1, boilerplate=list(boilerplate or ()), fp=io.StringIO(code))


def compare(exercise: str, first: tuple[str, CodeFingerprint], second: tuple[str, CodeFingerprint],
            share: float, min_tokens: int, both_ways: bool) -> Pair | None:
    """The pair when enough of ``first`` (or, with ``both_ways``, of either side) is in the other."""
    tokens, shares, slices = compare_files(first[1], second[1])
    top = max(shares) if both_ways else shares[0]
    if tokens < min_tokens or top < share:
        return None
    return Pair(exercise, first[0], second[0], (float(shares[0]), float(shares[1])), int(tokens),
                (first[1].raw_code, second[1].raw_code), slices)


def report_pairs(root: Path, assignment: str, share: float = SHARE, min_tokens: int = MIN_TOKENS
                 ) -> tuple[list[Pair], list[Pair], int]:
    """(copies of the course's code, pairs of students, number of submissions) for ``assignment``."""
    release = nbformat.read(root / "notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
    source = nbformat.read(root / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    boilerplate = set().union(*(fingerprint(stub).hashes for stub in answers_of(release).values()))
    students = {}
    for path in sorted((root / "submitted").glob(f"*/{assignment}/*.ipynb")):
        answers = answers_of(nbformat.read(path, as_version=4))
        students[path.parent.parent.name] = {gid: fingerprint(code, boilerplate) for gid, code in answers.items()}
    library = {name: fingerprint(code, boilerplate) for name, code in library_code(LIBRARY).items()}
    solutions = {gid: fingerprint(code, boilerplate) for gid, code in solutions_of(source).items()}
    copies, shared = [], []
    for exercise, reference in solutions.items():
        course = [(f"the solution of {exercise}", reference), *library.items()]
        owners = [(student, answers[exercise]) for student, answers in students.items() if exercise in answers]
        for owner in owners:
            found = [compare(exercise, owner, other, share, min_tokens, both_ways=False) for other in course]
            found = [pair for pair in found if pair]
            if found:  # the closest source only
                copies.append(max(found, key=lambda pair: pair.tokens))
        for first, second in itertools.combinations(owners, 2):
            pair = compare(exercise, first, second, share, min_tokens, both_ways=True)
            if pair:
                shared.append(pair)
    by_size = lambda pair: (-max(pair.shares), -pair.tokens)  # noqa: E731
    return sorted(copies, key=by_size), sorted(shared, key=by_size), len(students)


def marked(code: str, slices: np.ndarray) -> str:
    """``code`` with every line that holds shared code prefixed by ``>`` (others by a space)."""
    starts = np.cumsum([0] + [len(line) + 1 for line in code.splitlines()])
    lines = []
    for number, line in enumerate(code.splitlines()):
        begin, end = starts[number], starts[number + 1]
        hit = any(a < end and b > begin for a, b in zip(*slices)) if len(slices[0]) else False
        lines.append(f"{'>' if hit else ' '} {line}")
    return "\n".join(lines)


def markdown(assignment: str, copies: list[Pair], shared: list[Pair], submissions: int,
             share: float, min_tokens: int) -> str:
    """The instructor's report: two tables, then each pair's code with the shared lines marked."""
    out = [
        f"# Similarity report: {assignment}",
        "",
        f"{submissions} submissions; each answer cell compared with the same exercise's answers of the others and "
        f"with the course's code (the solution and every function and class of recsys_helpers). The released "
        f"notebook's stubs are boilerplate and never count. Listed: at least {share:.0%} of an answer's "
        f"fingerprinted code and {min_tokens} tokens found in the other (copydetect {version('copydetect')}, "
        f"k = {NOISE_TOKENS}). Names, strings and layout are ignored. Evidence to read, not a verdict.",
        "",
        "## Answers that match the course's code",
        "",
    ]
    out += table(copies, "source", 1) if copies else ["None.", ""]
    out += ["## Answers shared between students", ""]
    out += table(shared, "other student", len(copies) + 1) if shared else ["None.", ""]
    for number, pair in enumerate(copies + shared, 1):
        out += [
            f"### {number}. {pair.exercise}: {pair.first} and {pair.second}", "",
            f"Shared: {pair.tokens} tokens, {pair.shares[0]:.0%} of the first, {pair.shares[1]:.0%} of the second "
            "(lines with shared code marked `>`).", "",
            f"{pair.first}:", "", "```python", marked(pair.codes[0], pair.slices[0]), "```", "",
            f"{pair.second}:", "", "```python", marked(pair.codes[1], pair.slices[1]), "```", "",
        ]
    return "\n".join(out)


def table(pairs: list[Pair], second: str, first_number: int) -> list[str]:
    """Markdown table of ``pairs``, numbered from ``first_number`` (the numbers of the details below)."""
    rows = [f"| # | exercise | student | {second} | shares | tokens |", "|---|---|---|---|---|---|"]
    for number, pair in enumerate(pairs, first_number):
        rows.append(f"| {number} | {pair.exercise} | {pair.first} | {pair.second} | "
                    f"{pair.shares[0]:.0%} / {pair.shares[1]:.0%} | {pair.tokens} |")
    return rows + [""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="assignment folders (default: all with submissions)")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="course root (holds submitted/)")
    parser.add_argument("--out", type=Path, default=Path("similarity"), help="folder of the reports")
    parser.add_argument("--share", type=float, default=SHARE, help="least share of an answer found in the other")
    parser.add_argument("--tokens", type=int, default=MIN_TOKENS, help="least number of shared tokens")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    assignments = args.assignments or sorted({p.name for p in (root / "submitted").glob("*/*") if p.is_dir()})
    if not assignments:
        print(f"no submissions in {root / 'submitted'}", file=sys.stderr)
        return 1
    out = args.out if args.out.is_absolute() else root / args.out
    out.mkdir(parents=True, exist_ok=True)
    for assignment in assignments:
        start = time.perf_counter()
        copies, shared, submissions = report_pairs(root, assignment, args.share, args.tokens)
        path = out / f"{assignment}.md"
        path.write_text(markdown(assignment, copies, shared, submissions, args.share, args.tokens) + "\n")
        print(f"{assignment}: {submissions} submissions, {len(copies)} answers match the course's code, "
              f"{len(shared)} shared between students ({time.perf_counter() - start:.1f} s): {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
