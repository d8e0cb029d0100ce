"""The environment is pinned once and described the same way for pip and conda users."""

import importlib.util
import re
import subprocess
import tomllib

import nbformat
import pytest
import yaml

from conftest import CHAPTERS, ROOT, skip_unless_all

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


def test_install_prepared_the_model_caches_where_the_library_reads_them():
    """`make install` converts the LLM and encodes the catalogue once, so no chapter pays for it."""
    from recsys_helpers.datasets import load_movielens_100k
    from recsys_helpers.llm import file_sha256, find_gguf
    from recsys_helpers.text import TextEmbedder, default_cache_dir, display_title, minilm_model_id

    if not (ROOT / ".venv" / ".prepared").exists():
        skip_unless_all("the model caches were not prepared (`make prepare`)")
    converted = default_cache_dir() / "llm" / file_sha256(find_gguf())[:16]
    assert (converted / "model.safetensors").is_file(), f"no converted LLM in {converted}: run `make prepare`"

    class NoEncoder:  # every vector must come from the cache; the id load_sentence_encoder gives
        model_id = minilm_model_id()

        def encode(self, texts, **options):
            raise AssertionError(f"{len(texts)} catalogue texts are missing from the cache")

    titles = [display_title(t) for t in load_movielens_100k().items["title"]]
    spec = importlib.util.spec_from_file_location("prepare_machine", ROOT / "scripts" / "prepare_machine.py")
    prepare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(prepare)
    texts = titles + prepare.social_texts()  # chapter 11's posts and topics
    embedder = TextEmbedder(NoEncoder())
    assert embedder.embed(texts).shape[0] == len(texts) and embedder.last_num_encoded == 0


def test_ci_starts_with_empty_caches_and_no_narrowing_switches():
    """CI proves the fresh-machine path: `.ci/run` points every cache at a folder of its own."""
    script = (ROOT / ".ci" / "run").read_text()
    for variable in ("XDG_CACHE_HOME", "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR", "IPYTHONDIR", "MPLCONFIGDIR"):
        assert re.search(rf'export [^\n]*\b{variable}="\$FRESH/', script), f".ci/run keeps {variable}"
    for variable in ("RECSYS_CACHE_DIR", "COURSE_CHAPTERS", "GRADING_ALLOW_UNSANDBOXED"):
        assert re.search(rf"unset [^\n]*\b{variable}\b", script), f".ci/run does not unset {variable}"
    assert script.rstrip().endswith("make test")
