"""Tests of the pipeline step that turns an executed source notebook into the page a reader sees."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT
from course.publish import execute


def grading(grade_id, **extra):
    return {"grade_id": grade_id, "locked": False, "schema_version": 3, "task": False, **extra}


@pytest.fixture
def page():
    nb = nbformat.v4.new_notebook()
    solution = nbformat.v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION")
    solution.metadata["nbgrader"] = grading("f", solution=True, grade=False)
    tests = nbformat.v4.new_code_cell(
        '"""f doubles."""\nassert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(5) == 10\n### END HIDDEN TESTS'
    )
    tests.metadata["nbgrader"] = grading("f_tests", solution=False, grade=True, points=1)
    answer = nbformat.v4.new_markdown_cell("Because it doubles.")
    answer.metadata["tags"] = ["answer"]
    statement = nbformat.v4.new_markdown_cell("## 1. Doubling\n\nIntro.\n\n**Exercise 1 (1 point).** Write `f`.")
    nb.cells = [nbformat.v4.new_markdown_cell("# 01 Title"), statement, solution, tests, answer]
    return execute.prepare_for_site(nb, "01_demo")


def test_solution_code_is_folded_without_its_markers(page):
    solution = page.cells[4]
    assert solution.source == "def f(x):\n    return 2 * x\n"
    assert "hide-input" in solution.metadata["tags"]
    assert solution.metadata["mystnb"]["code_prompt_show"] == "Show solution"


def test_hidden_tests_are_stripped_and_visible_ones_kept(page):
    tests = page.cells[5].source
    assert "f(1) == 2" in tests
    assert "f(5)" not in tests and "HIDDEN" not in tests


def test_answers_become_dropdowns_and_the_student_notebook_is_linked(page):
    assert page.cells[7].source.startswith(":::{admonition} A model answer\n:class: dropdown")
    link = page.cells[1].source
    assert "{download}`student notebook <../../notebooks/01_demo/01_demo.ipynb>`" in link


def test_exercises_are_listed_at_the_top_and_linked_from_one_to_the_next():
    def exercise(number, name, heading=False):
        statement = f"### Exercise {number} — {name}" if heading else f"Text.\n\n**Exercise {number} (2 points).** Do."
        answer = nbformat.v4.new_code_cell(f"def {name}():\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION")
        answer.metadata["nbgrader"] = grading(f"ex{number}", solution=True, grade=False)
        test = nbformat.v4.new_code_cell(f'"""{name}."""\nassert {name}() is None')
        test.metadata["nbgrader"] = grading(f"ex{number}_tests", solution=False, grade=True, points=2)
        return [nbformat.v4.new_markdown_cell(statement), answer, test]

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 05 Title"), *exercise(1, "first"), *exercise(2, "second", True)]
    page = execute.prepare_for_site(nb, "05_demo")
    sources = [c.source for c in page.cells]
    assert sources[2].startswith("(05_demo-exercises)=\n:::{admonition} Exercises in this chapter")
    assert sources[2].endswith(
        "- {ref}`Exercise 1: first <05_demo-exercise-1>`\n- {ref}`Exercise 2: second <05_demo-exercise-2>`\n:::")
    assert sources[3] == "Text.\n\n(05_demo-exercise-1)=\n**Exercise 1 (2 points).** Do."
    assert sources[6] == (":::{container} exercise-step\nExercise 1 of 2 · {ref}`Exercise 2 → <05_demo-exercise-2>` · "
                          "{ref}`all exercises <05_demo-exercises>`\n:::")
    assert sources[7] == "(05_demo-exercise-2)=\n### Exercise 2 — second"
    last = ":::{container} exercise-step\nExercise 2 of 2 · {ref}`all exercises <05_demo-exercises>`\n:::"
    assert sources[10] == last
    orphan = nbformat.v4.new_notebook()
    orphan.cells = exercise(1, "first")[1:]
    with pytest.raises(ValueError, match="'ex1' follows no"):
        execute.prepare_for_site(orphan, "05_demo")


def test_fingerprint_covers_notebook_helpers_and_pins(tmp_path):
    source = ROOT / "solutions" / "01_basics" / "01_basics.ipynb"
    inputs = execute.chapter_inputs(source)
    assert source in inputs and ROOT / "requirements.txt" in inputs and ROOT / "requirements-nodeps.txt" in inputs
    assert ROOT / "recsys_helpers" / "metrics.py" in inputs
    assert {ROOT / "course" / "publish" / "execute.py", ROOT / "course" / "cells.py"} <= set(inputs)
    first, second = tmp_path / "a.ipynb", tmp_path / "b.py"
    first.write_text("{}")
    second.write_text("x = 1")
    before = execute.fingerprint([first, second])
    second.write_text("x = 2")
    assert execute.fingerprint([first, second]) != before


def test_appendix_pages_have_no_student_notebook_link():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Appendix"), nbformat.v4.new_code_cell("x = 1")]
    page = execute.prepare_for_site(nb, "A_demo", student_notebook=False)
    assert len(page.cells) == 2
    assert not any("student-notebook-link" in c.metadata.get("tags", []) for c in page.cells)


def test_appendix_fingerprint_covers_its_extra_inputs(tmp_path):
    source = execute.APPENDICES / "A_tools" / "A_tools.ipynb"
    inputs = execute.chapter_inputs(source)
    assert ROOT / "requirements-recbole.txt" in inputs and ROOT / "scripts" / "recbole_run.py" in inputs
    chapter = ROOT / "solutions" / "01_basics" / "01_basics.ipynb"
    assert ROOT / "requirements-recbole.txt" not in execute.chapter_inputs(chapter)
    present, absent = tmp_path / "a.txt", tmp_path / "b.txt"
    present.write_text("")
    before = execute.fingerprint([present, absent])
    absent.write_text("")
    assert execute.fingerprint([present, absent]) != before


def notebook_at(path, code, cores=None):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Appendix"), nbformat.v4.new_code_cell(code)]
    if cores is not None:
        nb.metadata["course"] = {"cores": cores}
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """Notebooks under a fake appendices/ folder, executed into tmp_path/executed."""
    monkeypatch.setattr(execute, "APPENDICES", tmp_path / "appendices")
    monkeypatch.setattr(execute, "EXECUTED", tmp_path / "executed")
    monkeypatch.setattr(execute, "chapter_inputs", lambda source: [source])

    def make(name, code="x = 1", cores=None):
        return notebook_at(tmp_path / "appendices" / name / f"{name}.ipynb", code, cores)

    return make


def record_of(name):
    import json

    return json.loads((execute.EXECUTED / f"{name}.json").read_text())


def test_single_threaded_notebooks_share_the_machine_and_say_so(workspace):
    sources = [workspace(name, "import time\ntime.sleep(3)") for name in ("X_one", "X_two")]
    assert execute.execute_all(sources, jobs=2, log_output=False) == []
    assert record_of("X_one")["alongside"] == ["X_two"] and record_of("X_two")["alongside"] == ["X_one"]
    assert record_of("X_one")["seconds"] >= 3
    executed = nbformat.read(execute.EXECUTED / "X_one.ipynb", as_version=4)
    assert executed.cells[1].outputs == [] and "papermill" in executed.metadata
    note = executed.cells[-1]  # the page says its timings were measured on a shared machine
    assert "shared-machine-note" in note.metadata["tags"] and "X_two" in note.source


def test_a_notebook_using_every_core_runs_alone(workspace):
    sources = [workspace("X_wide", "import time\ntime.sleep(2)", cores=2), workspace("X_narrow", "x = 1")]
    assert execute.execute_all(sources, jobs=2, log_output=False) == []
    assert record_of("X_wide")["alongside"] == [] and record_of("X_narrow")["alongside"] == []
    executed = nbformat.read(execute.EXECUTED / "X_wide.ipynb", as_version=4)
    assert not any("shared-machine-note" in c.metadata.get("tags", []) for c in executed.cells)


def test_with_one_job_nothing_runs_alongside(workspace):
    sources = [workspace(name) for name in ("X_one", "X_two")]
    assert execute.execute_all(sources, jobs=1, log_output=False) == []
    assert record_of("X_one")["alongside"] == [] and record_of("X_two")["alongside"] == []


def test_a_failing_notebook_is_reported_and_leaves_no_record(workspace, capsys):
    sources = [workspace("X_fails", "raise RuntimeError('broken on purpose')"), workspace("X_fine")]
    assert execute.execute_all(sources, jobs=2, log_output=False) == ["X_fails"]
    assert "broken on purpose" in capsys.readouterr().out
    assert not (execute.EXECUTED / "X_fails.json").exists()
    assert record_of("X_fine")["seconds"] > 0


def died_at_start(source, cores, folder, attempt):
    """A run whose papermill reports what it prints when the kernel dies before any cell."""
    raw = folder / source.name
    with raw.with_suffix(".log").open("w") as log:
        died = "raise SystemExit('RuntimeError: Kernel died before replying to kernel_info')"
        process = subprocess.Popen([sys.executable, "-c", died], stdout=log, stderr=subprocess.STDOUT)
    return execute.Run(source, cores, raw, process, attempt=attempt)


def test_a_kernel_that_dies_while_starting_is_started_once_more(workspace, monkeypatch, capsys):
    real_start, starts = execute.start_run, []

    def start(source, cores, folder, *, log_output, attempt=1):
        starts.append((source.stem, attempt))
        if attempt > 1 or source.stem == "X_fine":
            return real_start(source, cores, folder, log_output=log_output, attempt=attempt)
        return died_at_start(source, cores, folder, attempt)

    monkeypatch.setattr(execute, "start_run", start)
    sources = [workspace("X_flaky"), workspace("X_fine")]
    assert execute.execute_all(sources, jobs=2, log_output=False) == []
    assert sorted(starts) == [("X_fine", 1), ("X_flaky", 1), ("X_flaky", 2)]
    assert "X_flaky: the kernel died while starting; starting it again" in capsys.readouterr().out
    assert record_of("X_flaky")["seconds"] > 0


def test_a_notebook_failing_twice_at_start_or_once_in_a_cell_is_not_retried_further(workspace, monkeypatch):
    real_start, starts = execute.start_run, []

    def start(source, cores, folder, *, log_output, attempt=1):
        starts.append(attempt)
        return died_at_start(source, cores, folder, attempt)

    monkeypatch.setattr(execute, "start_run", start)
    assert execute.execute_all([workspace("X_dead")], jobs=1, log_output=False) == ["X_dead"]
    assert starts == [1, 2]
    attempts = []

    def counted(source, cores, folder, *, log_output, attempt=1):
        attempts.append(attempt)
        return real_start(source, cores, folder, log_output=log_output, attempt=attempt)

    monkeypatch.setattr(execute, "start_run", counted)
    # a cell that raises is the notebook's own failure: one attempt, reported
    raises = workspace("X_raises", "raise RuntimeError('x')")
    assert execute.execute_all([raises], jobs=1, log_output=False) == ["X_raises"]
    assert attempts == [1]


def test_cores_must_be_a_positive_integer(workspace):
    with pytest.raises(ValueError, match="course.cores must be a positive integer"):
        execute.cores_of(workspace("X_bad", cores=0))


def test_a_kernel_of_another_environment_is_refused(tmp_path, monkeypatch):
    """A `recsys-course` kernel left in the user's Jupyter folder must not run the chapters."""
    import json

    kernel = tmp_path / "kernels" / execute.KERNEL_NAME
    kernel.mkdir(parents=True)
    spec = {"argv": ["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "stale", "language": "python"}
    (kernel / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    with pytest.raises(SystemExit, match="not this environment's"):
        execute.check_kernel()


def test_the_installed_kernel_is_this_environment():
    execute.check_kernel()


def test_editing_a_helper_re_executes_only_the_chapters_that_import_it():
    sources = execute.chapter_sources() + execute.appendix_sources()
    serving = ROOT / "recsys_helpers" / "serving.py"
    users = [s.stem for s in sources if serving in execute.chapter_inputs(s)]
    assert users == ["13_system_performance"]
    metrics = ROOT / "recsys_helpers" / "metrics.py"
    assert metrics in execute.chapter_inputs(sources[0])  # 01 imports it
    for source in sources:  # every chapter depends on the package's __init__ and the pins
        inputs = execute.chapter_inputs(source)
        assert ROOT / "recsys_helpers" / "__init__.py" in inputs and ROOT / "requirements.txt" in inputs


def test_relative_and_submodule_imports_are_followed(tmp_path):
    names = execute.imported_names(
        "from .metrics import ndcg_at_k\nfrom recsys_helpers.models import ease\nimport os", "recsys_helpers.models"
    )
    assert {"recsys_helpers.models.metrics", "recsys_helpers.models.ease", "os"} <= names
    assert execute.module_file("recsys_helpers.metrics.ndcg_at_k") == ROOT / "recsys_helpers" / "metrics.py"
    assert execute.module_file("recsys_helpers.models") == ROOT / "recsys_helpers" / "models" / "__init__.py"
    assert execute.module_file("numpy.linalg") is None


@pytest.mark.parametrize("chapter", ["01_basics", "11_social", "13_system_performance"])
def test_the_fingerprint_covers_every_helper_module_the_chapters_imports_load(chapter):
    """Run the chapter's import statements and compare what Python loaded with the static reading."""
    import ast
    import subprocess
    import sys

    source = ROOT / "solutions" / chapter / f"{chapter}.ipynb"
    nb = nbformat.read(source, as_version=4)
    imports = [
        ast.unparse(node)
        for cell in nb.cells if cell.cell_type == "code"
        for node in ast.walk(ast.parse(cell.source))
        if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    probe = "\n".join(imports + [
        "import sys",
        "print('\\n'.join(getattr(m, '__file__', '') or '' for n, m in sorted(sys.modules.items())"
        " if n.split('.')[0] == 'recsys_helpers'))",
    ])
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                            cwd=source.parent, env={**os.environ, "HF_HUB_OFFLINE": "1"}).stdout.split()
    missing = {Path(f) for f in loaded} - set(execute.helper_files(source))
    assert loaded and not missing, f"{chapter} loads helpers its fingerprint misses: {sorted(missing)}"
