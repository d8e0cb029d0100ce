"""Execute every chapter once with papermill and prepare the executed copies for the site.

For each source notebook ``solutions/NN_slug/NN_slug.ipynb`` this writes

- ``book/chapters/NN_slug.ipynb``: the executed notebook, prepared for the site (solution code
  folded behind a "Show solution" toggle, hidden tests stripped, model answers in dropdowns, a link
  to the student notebook). Tests read their recorded figures from it; the site renders it.
- ``book/chapters/NN_slug.json``: the fingerprint of what was executed and how long it took.

A chapter is executed again only when its fingerprint changes: the notebook, the helpers package,
the pinned requirements or this script.

Appendix notebooks ``appendices/X_slug/X_slug.ipynb`` (no exercises, no student notebook) are
executed the same way into ``book/chapters/X_slug.ipynb``; their fingerprint also covers the files
listed for them in ``APPENDIX_INPUTS`` (a missing file counts as a distinct input).
``python scripts/execute_chapters.py --help`` for options.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill

ROOT = Path(__file__).resolve().parent.parent
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
EXECUTED = ROOT / "book" / "chapters"
KERNEL_NAME = "recsys-course"
CELL_TIMEOUT_SECONDS = 300

HIDDEN_TESTS = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[^\n]*\n?", re.S | re.M)
SOLUTION_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[^\n]*\n?", re.M)


def chapter_sources() -> list[Path]:
    """Return the source notebooks ``solutions/NN_slug/NN_slug.ipynb`` in chapter order."""
    return sorted(p for p in SOLUTIONS.glob("*/*.ipynb") if p.stem == p.parent.name)


def appendix_sources() -> list[Path]:
    """Return the appendix notebooks ``appendices/X_slug/X_slug.ipynb`` in order."""
    return sorted(p for p in APPENDICES.glob("*/*.ipynb") if p.stem == p.parent.name)


def is_appendix(source: Path) -> bool:
    return source.parent.parent == APPENDICES


def chapter_inputs(source: Path) -> list[Path]:
    """Everything an execution of ``source`` depends on: the notebook, helpers, pins and this script."""
    helpers = sorted((ROOT / "recsys_helpers").rglob("*.py"))
    inputs = [source, ROOT / "requirements.txt", Path(__file__).resolve(), *helpers]
    if is_appendix(source):
        inputs += [ROOT / extra for extra in APPENDIX_INPUTS.get(source.stem, [])]
    return inputs


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
        grading = cell.metadata.get("nbgrader", {})
        tags = cell.metadata.setdefault("tags", [])
        if cell.cell_type == "code" and grading.get("solution"):
            cell.source = SOLUTION_MARKER.sub("", cell.source)
            tags.append("hide-input")
            cell.metadata["mystnb"] = {
                "code_prompt_show": "Show solution",
                "code_prompt_hide": "Hide solution",
            }
        elif cell.cell_type == "code" and grading.get("grade"):
            stripped = HIDDEN_TESTS.sub("", cell.source).rstrip()
            if stripped != cell.source.rstrip():
                stripped += "\n# (more tests, hidden here, run when the notebook is graded)"
            cell.source = stripped
        elif cell.cell_type == "markdown" and "answer" in tags:
            cell.source = f":::{{admonition}} A model answer\n:class: dropdown\n\n{cell.source}\n:::"
    if not student_notebook:
        return nb
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


def execute(source: Path, *, log_output: bool) -> float:
    """Execute ``source`` with papermill, write the site copy and its fingerprint; return seconds."""
    chapter = source.stem
    EXECUTED.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=EXECUTED) as tmp:
        raw = Path(tmp) / source.name
        start = time.perf_counter()
        papermill.execute_notebook(
            str(source),
            str(raw),
            kernel_name=KERNEL_NAME,
            cwd=str(source.parent),
            execution_timeout=CELL_TIMEOUT_SECONDS,
            log_output=log_output,
            progress_bar=False,
        )
        seconds = time.perf_counter() - start
        nb = prepare_for_site(
            nbformat.read(raw, as_version=4), chapter, student_notebook=not is_appendix(source)
        )
        site_copy = Path(tmp) / "site.ipynb"
        nbformat.write(nb, site_copy)
        os.replace(site_copy, EXECUTED / source.name)
    record = {"chapter": chapter, "fingerprint": fingerprint(chapter_inputs(source)), "seconds": round(seconds, 1)}
    (EXECUTED / f"{chapter}.json").write_text(json.dumps(record, indent=2) + "\n")
    return seconds


def is_up_to_date(source: Path) -> bool:
    """True when the executed copy exists and was made from exactly these inputs."""
    record = EXECUTED / f"{source.stem}.json"
    if not (record.exists() and (EXECUTED / source.name).exists()):
        return False
    return json.loads(record.read_text()).get("fingerprint") == fingerprint(chapter_inputs(source))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="chapter or appendix folder names (default: all)")
    parser.add_argument("--force", action="store_true", help="execute even when up to date")
    parser.add_argument("--log-output", action="store_true", help="stream cell output")
    args = parser.parse_args(argv)

    sources = chapter_sources() + appendix_sources()
    if args.chapters:
        unknown = set(args.chapters) - {s.stem for s in sources}
        if unknown:
            parser.error(f"unknown chapter(s): {', '.join(sorted(unknown))}")
        sources = [s for s in sources if s.stem in args.chapters]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    for source in sources:
        if not args.force and is_up_to_date(source):
            print(f"{source.stem}: up to date")
            continue
        print(f"{source.stem}: executing ...", flush=True)
        seconds = execute(source, log_output=args.log_output)
        print(f"{source.stem}: executed in {seconds:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
