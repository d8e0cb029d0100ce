"""The environment is pinned once and described the same way for pip and conda users."""

import re
import subprocess
import tomllib

import nbformat
import pytest
import yaml

from conftest import CHAPTERS, ROOT

PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^=\s]+)$")


def requirement_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_every_requirement_is_pinned_exactly():
    lines = requirement_lines((ROOT / "requirements.txt").read_text())
    loose = [line for line in lines if not PIN.match(line)]
    assert not loose, f"requirements.txt must pin with ==: {loose}"
    names = [PIN.match(line).group(1).lower().replace("_", "-") for line in lines]
    assert len(names) == len(set(names)), "a package is pinned twice"


def test_environment_yml_has_the_same_pins_as_requirements_txt():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert "python=3.11" in conda
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pins = {line for line in pip_section if PIN.match(line)}
    assert pins == set(requirement_lines((ROOT / "requirements.txt").read_text()))


def test_pyproject_python_matches_the_environment():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11,<3.12"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_has_source_student_notebook_and_toc_entry(chapter):
    assert (ROOT / "solutions" / chapter / f"{chapter}.ipynb").exists()
    assert (ROOT / "notebooks" / chapter / f"{chapter}.ipynb").exists()
    assert f"book/chapters/{chapter}" in (ROOT / "_toc.yml").read_text()


def committed_notebooks() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True)
    return listed.stdout.split()


@pytest.mark.parametrize("path", committed_notebooks())
def test_committed_notebooks_carry_no_outputs_and_use_the_course_kernel(path):
    nb = nbformat.read(ROOT / path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "recsys-course"
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{path}: cells {dirty} carry outputs; clear them before committing"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_source_notebook_has_a_parameters_cell(chapter):
    nb = nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters' (papermill)"
