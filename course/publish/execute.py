"""Execute every chapter once with papermill and prepare the executed copies for the site.

For each source notebook ``solutions/NN_slug/NN_slug.ipynb`` this writes

- ``book/chapters/NN_slug.ipynb``: the executed notebook, prepared for the site (solution code
  folded behind a "Show solution" toggle, hidden tests stripped, model answers in dropdowns, a link
  to the student notebook). Tests read their recorded figures from it; the site renders it.
- ``book/chapters/NN_slug.json``: the fingerprint of what was executed and how long it took.

A chapter is executed again only when its fingerprint changes: the notebook, the helper modules it
imports (and those they import, read from the code), the pinned requirements, this module or the
notebook vocabulary (``course/cells.py``).

Chapters run two at a time on a 2-core machine (``--jobs``): a notebook that uses both cores says
so in its metadata (``"course": {"cores": 2}``) and runs alone; single-threaded ones share the
machine, longest first. The record says which chapters ran alongside each one, so a run time
measured in parallel is stated as such (``--jobs 1`` measures every chapter alone).

Appendix notebooks ``appendices/X_slug/X_slug.ipynb`` (no exercises, no student notebook) are
executed the same way into ``book/chapters/X_slug.ipynb``; their fingerprint also covers the files
listed for them in ``APPENDIX_INPUTS`` (a missing file counts as a distinct input).
``python -m course.publish.execute --help`` for options.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course import cells

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
APPENDICES = ROOT / "appendices"
# Extra inputs of an appendix: appendix A runs RecBole in its own environment through a script.
APPENDIX_INPUTS = {
    "A_tools": [
        "requirements-recbole.txt",
        "scripts/recbole_run.py",
        ".venv-recbole/.installed",
    ],
}
STUDENT_NOTEBOOKS = ROOT / "notebooks"
RECORDED_TIMES = ROOT / "benchmarks" / "chapters.json"
EXECUTED = ROOT / "book" / "chapters"
KERNEL_NAME = "recsys-course"
CELL_TIMEOUT_SECONDS = 300


def chapter_sources() -> list[Path]:
    """Return the source notebooks ``solutions/NN_slug/NN_slug.ipynb`` in chapter order."""
    return sorted(p for p in SOLUTIONS.glob("*/*.ipynb") if p.stem == p.parent.name)


def appendix_sources() -> list[Path]:
    """Return the appendix notebooks ``appendices/X_slug/X_slug.ipynb`` in order."""
    return sorted(p for p in APPENDICES.glob("*/*.ipynb") if p.stem == p.parent.name)


def is_appendix(source: Path) -> bool:
    return source.parent.parent == APPENDICES


def chapter_inputs(source: Path) -> list[Path]:
    """Everything an execution of ``source`` depends on: the notebook, the helper modules it uses
    (transitively), the pins, this module and the notebook vocabulary. Editing ``serving.py``
    re-executes chapter 13 alone."""
    inputs = [source, ROOT / "requirements.txt", ROOT / "requirements-nodeps.txt", Path(__file__).resolve(),
              Path(cells.__file__).resolve()]
    inputs += helper_files(source)
    if is_appendix(source):
        inputs += [ROOT / extra for extra in APPENDIX_INPUTS.get(source.stem, [])]
    return inputs


HELPER_NAME = re.compile(r"\brecsys_helpers(?:\.[A-Za-z_]\w*)*")


def module_file(name: str) -> Path | None:
    """The file of a dotted name inside the helpers (``recsys_helpers.metrics.ndcg_at_k`` ->
    ``recsys_helpers/metrics.py``: its longest prefix that is a module), or None."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:end])
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def imported_names(code: str, package: str) -> set[str]:
    """Dotted names that ``code`` imports, relative imports resolved against ``package``; a
    ``from a import b`` gives both ``a`` and ``a.b`` (``b`` may be a module)."""
    names: set[str] = set()
    try:
        tree = ast.parse(code)
    except SyntaxError:  # IPython syntax in a notebook: the caller also searches the text
        return names
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def helper_files(source: Path) -> list[Path]:
    """The helper modules a notebook imports, and the modules those import, with their packages'
    ``__init__.py`` files; found by reading code, never by running it."""
    nb = nbformat.read(source, as_version=4)
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    # names in strings count too (`python -m recsys_helpers.serving`), and a cell in IPython syntax
    # that ast cannot read still names what it imports
    pending = set(HELPER_NAME.findall(code))
    pending |= {name for name in imported_names(code, "") if name.startswith("recsys_helpers")}
    pending.add("recsys_helpers")
    found: set[Path] = set()
    while pending:
        path = module_file(pending.pop())
        if path is None or path in found:
            continue
        found.add(path)
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        package = module.removesuffix(".__init__") if path.name == "__init__.py" else module.rpartition(".")[0]
        parents = [".".join(package.split(".")[:end]) for end in range(1, package.count(".") + 2)]
        pending.update(parents)
        pending.update(n for n in imported_names(path.read_text(), package) if n.startswith("recsys_helpers"))
    return sorted(found)


def fingerprint(paths: list[Path]) -> str:
    """SHA-256 over the names and contents of ``paths`` (a missing file hashes as its absence)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"\0missing")
    return digest.hexdigest()


def prepare_for_site(
    nb: nbformat.NotebookNode, chapter: str, *, student_notebook: bool = True
) -> nbformat.NotebookNode:
    """Turn an executed source notebook into the page a reader sees.

    Solution cells keep their code but fold it behind a "Show solution" toggle, hidden tests are
    removed from test cells, markdown cells tagged ``answer`` become a closed dropdown, and a note
    after the title links to the student notebook (unless ``student_notebook`` is false: the
    appendices have none).
    """
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if cells.is_answer_cell(cell):
            cell.source = cells.without_solution_markers(cell.source)
            tags.append("hide-input")
            cell.metadata["mystnb"] = {
                "code_prompt_show": "Show solution",
                "code_prompt_hide": "Hide solution",
            }
        elif cells.is_test_cell(cell):
            note = "# (more tests, hidden here, run when the notebook is graded)"
            cell.source = cells.visible_tests(cell.source, note)
        elif cells.is_model_answer(cell):
            cell.source = f":::{{admonition}} A model answer\n:class: dropdown\n\n{cell.source}\n:::"
    if not student_notebook:
        return nb
    add_exercise_navigation(nb, chapter)
    student = STUDENT_NOTEBOOKS / chapter / f"{chapter}.ipynb"
    link = os.path.relpath(student, EXECUTED).replace(os.sep, "/")
    note = nbformat.v4.new_markdown_cell(
        ":::{note}\nTo work the exercises yourself, download the "
        f"{{download}}`student notebook <{link}>` and open it in JupyterLab "
        "(see [How to use this course](../how_to_use.md)).\n:::"
    )
    note.metadata["tags"] = ["student-notebook-link"]
    nb.cells.insert(1, note)
    return nb


EXERCISE = re.compile(r"\*\*Exercise\s+(\d+)|^#+\s+Exercise\s+(\d+)", re.M)
DEFINED = re.compile(r"^(?:def|class)\s+(\w+)", re.M)


def add_exercise_navigation(nb: nbformat.NotebookNode, chapter: str) -> None:
    """Let a reader jump between a chapter's exercises: a target on each exercise's statement
    (``**Exercise N`` or a heading ``### Exercise N``, the last one in the markdown cell before its
    answer cells), a list of the exercises at the top (inserted as the second cell) and, after each
    exercise's last test cell, a line linking the next exercise and the list. Labels are
    ``{chapter}-exercise-N`` and ``{chapter}-exercises``.

    Raises
    ------
    ValueError
        An answer cell has no exercise statement in a markdown cell before it.
    """
    statement = None  # (markdown cell, number, offset) of the last exercise statement seen
    exercises: dict[str, dict] = {}  # number -> {"name", "statement", "end": the cell the exercise ends with}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and EXERCISE.search(cell.source):
            match = list(EXERCISE.finditer(cell.source))[-1]
            statement = (cell, next(group for group in match.groups() if group), match.start())
        elif cells.is_answer_cell(cell):
            if statement is None:
                raise ValueError(f"{chapter}: answer cell {cells.grading_of(cell).get('grade_id')!r} follows no "
                                 "'**Exercise N' statement")
            defined = DEFINED.search(cell.source)
            following = nb.cells[index + 1] if index + 1 < len(nb.cells) else None
            exercise = exercises.setdefault(statement[1], {
                "name": defined.group(1) if defined else cells.grading_of(cell).get("grade_id", ""),
                "statement": statement,
            })
            exercise["end"] = following if following is not None and cells.is_test_cell(following) else cell
    numbers = list(exercises)
    for number in numbers:  # the target goes before the statement's paragraph (or heading)
        cell, _, offset = exercises[number]["statement"]
        start = cell.source.rfind("\n\n", 0, offset)
        start = 0 if start < 0 else start + 2
        cell.source = f"{cell.source[:start]}({chapter}-exercise-{number})=\n{cell.source[start:]}"
    for position, number in enumerate(numbers):
        links = [f"{{ref}}`Exercise {n} → <{chapter}-exercise-{n}>`" for n in numbers[position + 1 : position + 2]]
        step = nbformat.v4.new_markdown_cell(
            f":::{{container}} exercise-step\nExercise {number} of {len(numbers)} · "
            + " · ".join(links + [f"{{ref}}`all exercises <{chapter}-exercises>`"]) + "\n:::"
        )
        step.metadata["tags"] = ["exercise-navigation"]
        end = next(i for i, cell in enumerate(nb.cells) if cell is exercises[number]["end"])
        nb.cells.insert(end + 1, step)
    if numbers:
        entries = "\n".join(f"- {{ref}}`Exercise {n}: {exercise['name']} <{chapter}-exercise-{n}>`"
                            for n, exercise in exercises.items())
        listing = nbformat.v4.new_markdown_cell(
            f"({chapter}-exercises)=\n:::{{admonition}} Exercises in this chapter\n:class: exercise-list\n\n"
            f"{entries}\n:::"
        )
        listing.metadata["tags"] = ["exercise-navigation"]
        nb.cells.insert(1, listing)


def cores_of(source: Path) -> int:
    """Cores to reserve while a notebook runs: ``metadata.course.cores``, default 1.

    2 for a chapter that computes with two threads, or whose timings are its subject (07, 09, 13).
    """
    cores = nbformat.read(source, as_version=4).metadata.get("course", {}).get("cores", 1)
    if not isinstance(cores, int) or cores < 1:
        raise ValueError(f"{source.name}: metadata course.cores must be a positive integer, not {cores!r}")
    return cores


def last_seconds(source: Path) -> float:
    """How long the chapter ran last time, the schedule's order: its own record, else the committed
    ``benchmarks/chapters.json`` (a fresh clone), else 0."""
    record = EXECUTED / f"{source.stem}.json"
    if record.exists():
        return json.loads(record.read_text()).get("seconds", 0.0)
    if RECORDED_TIMES.exists():
        return json.loads(RECORDED_TIMES.read_text())["chapters"].get(source.stem, {}).get("seconds", 0.0)
    return 0.0


@dataclass
class Run:
    """One papermill process executing one notebook into a temporary raw copy."""

    source: Path
    cores: int
    raw: Path
    process: subprocess.Popen
    start: float = field(default_factory=time.perf_counter)
    end: float | None = None
    attempt: int = 1


#: What papermill prints when the kernel process dies before running any cell (two kernels started
#: at the same moment can race for the same TCP ports). Such a run is started once more.
KERNEL_START_FAILURES = ("Kernel died before replying to kernel_info", "Kernel didn't respond in")


def start_run(source: Path, cores: int, folder: Path, *, log_output: bool, attempt: int = 1) -> Run:
    raw = folder / source.name
    command = [
        sys.executable, "-m", "papermill", str(source), str(raw),
        "--kernel", KERNEL_NAME, "--cwd", str(source.parent),
        "--execution-timeout", str(CELL_TIMEOUT_SECONDS), "--no-progress-bar",
    ]
    if log_output:
        command.append("--log-output")
    log = raw.with_suffix(".log").open("w")  # papermill's messages: shown if the run fails
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return Run(source, cores, raw, process, attempt=attempt)


def shared_machine_note(alongside: list[str]) -> nbformat.NotebookNode:
    """The closing note of a page whose timings were measured while other chapters ran."""
    names = ", ".join(alongside)
    note = nbformat.v4.new_markdown_cell(
        ":::{note}\nThis page was executed on a two-core machine while another chapter ran beside it "
        f"({names}): `make execute` runs single-threaded chapters two at a time. Its timings include "
        "that sharing; `EXECUTE_JOBS=1 make execute` measures every chapter alone.\n:::"
    )
    note.metadata["tags"] = ["shared-machine-note"]
    return note


def finish(run: Run, alongside: list[str]) -> None:
    """Write the site copy and the record (fingerprint, seconds, chapters that ran alongside)."""
    source, chapter = run.source, run.source.stem
    nb = prepare_for_site(nbformat.read(run.raw, as_version=4), chapter, student_notebook=not is_appendix(source))
    if alongside:
        nb.cells.append(shared_machine_note(alongside))
    site_copy = run.raw.with_suffix(".site.ipynb")
    nbformat.write(nb, site_copy)
    os.replace(site_copy, EXECUTED / source.name)
    record = {
        "chapter": chapter,
        "fingerprint": fingerprint(chapter_inputs(source)),
        "seconds": round(run.end - run.start, 1),
        "alongside": alongside,
    }
    (EXECUTED / f"{chapter}.json").write_text(json.dumps(record, indent=2) + "\n")


def execute_all(sources: list[Path], *, jobs: int, log_output: bool) -> list[str]:
    """Execute ``sources`` with at most ``jobs`` cores busy; return the chapters that failed.

    Notebooks that need every core run first, one at a time, then the rest, longest first, as
    many at once as cores allow. A failed notebook keeps its earlier executed copy and record. A
    run whose kernel died while starting (:data:`KERNEL_START_FAILURES`, before any cell ran) is
    started once more and says so; a failure inside the notebook is never retried.
    """
    cores = {s: min(cores_of(s), jobs) for s in sources}
    order = sorted(sources, key=lambda s: (cores[s] < jobs, -last_seconds(s), s.stem))
    pending = [(s, cores[s]) for s in order]
    running: list[Run] = []
    done: list[Run] = []
    failed: list[str] = []
    EXECUTED.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=EXECUTED) as tmp:
        while pending or running:
            while pending and pending[0][1] <= jobs - sum(r.cores for r in running):
                source, cores = pending.pop(0)
                print(f"{source.stem}: executing ...", flush=True)
                running.append(start_run(source, cores, Path(tmp), log_output=log_output))
            time.sleep(0.2)
            for run in [r for r in running if r.process.poll() is not None]:
                run.end = time.perf_counter()
                running.remove(run)
                log = run.raw.with_suffix(".log").read_text(errors="replace")
                if log_output:
                    print(log, flush=True)
                if run.process.returncode != 0 and run.attempt == 1 and any(m in log for m in KERNEL_START_FAILURES):
                    print(f"{run.source.stem}: the kernel died while starting; starting it again", flush=True)
                    running.append(start_run(run.source, run.cores, Path(tmp), log_output=log_output, attempt=2))
                    continue
                done.append(run)
                if run.process.returncode != 0:
                    failed.append(run.source.stem)
                    print(f"{run.source.stem}: FAILED\n{log[-3000:]}", flush=True)
                    continue
                others = [
                    o for o in done + running if o is not run and o.start < run.end and (o.end or run.end) > run.start
                ]
                finish(run, sorted(o.source.stem for o in others))
                beside = f" (alongside {', '.join(o.source.stem for o in others)})" if others else ""
                print(f"{run.source.stem}: executed in {run.end - run.start:.1f} s{beside}", flush=True)
    return failed


def is_up_to_date(source: Path) -> bool:
    """True when the executed copy exists and was made from exactly these inputs."""
    record = EXECUTED / f"{source.stem}.json"
    if not (record.exists() and (EXECUTED / source.name).exists()):
        return False
    return json.loads(record.read_text()).get("fingerprint") == fingerprint(chapter_inputs(source))


def check_kernel() -> None:
    """Stop unless the course's kernel runs this environment's Python.

    Jupyter prefers a kernel of the same name in the user's folder (``~/.local/share/jupyter``)
    over the one ``make install`` puts in ``.venv``; such a leftover would run the chapters with
    another environment's packages.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        raise SystemExit(f"no Jupyter kernel {KERNEL_NAME!r}: run `make install`") from None
    if Path(spec.argv[0]).absolute() != Path(sys.executable).absolute():
        raise SystemExit(
            f"the kernel {KERNEL_NAME!r} in {spec.resource_dir} runs {spec.argv[0]}, not this "
            f"environment's {sys.executable}: remove that folder (or run `make install`)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.publish.execute", description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="chapter or appendix folder names (default: all)")
    parser.add_argument("--force", action="store_true", help="execute even when up to date")
    parser.add_argument("--log-output", action="store_true", help="print cell output when a notebook ends")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="cores to keep busy (default: all); 1 measures every chapter alone")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")

    sources = chapter_sources() + appendix_sources()
    if args.chapters:
        unknown = set(args.chapters) - {s.stem for s in sources}
        if unknown:
            parser.error(f"unknown chapter(s): {', '.join(sorted(unknown))}")
        sources = [s for s in sources if s.stem in args.chapters]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    stale = []
    check_kernel()
    for source in sources:
        if not args.force and is_up_to_date(source):
            print(f"{source.stem}: up to date")
        else:
            stale.append(source)
    start = time.perf_counter()
    failed = execute_all(stale, jobs=args.jobs, log_output=args.log_output)
    if stale:
        print(f"{len(stale)} notebook(s) in {time.perf_counter() - start:.1f} s with --jobs {args.jobs}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
