"""The environment is pinned once and described the same way for pip and conda users."""

import ast
import importlib.metadata
import importlib.util
import re
import subprocess
import sys
import tomllib

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import CHAPTERS, ROOT, skip_unless_all

PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^=\s]+)$")
FIRST_PARTY = {"recsys_helpers", "course", "conftest"}


def requirement_lines(text: str) -> list[str]:
    """The requirements of a requirements file: no comments, no pip-compile annotations."""
    lines = (line.split(" #")[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def pinned(name: str) -> dict[str, str]:
    """``{canonical name: version}`` of a lock file such as ``requirements.txt``."""
    pins = {}
    for line in requirement_lines((ROOT / name).read_text()):
        match = PIN.match(line)
        assert match, f"{name} must pin with ==: {line!r}"
        key = canonicalize_name(match.group(1))
        assert key not in pins, f"{name} pins {key} twice"
        pins[key] = match.group(2)
    return pins


def direct_requirements() -> dict[str, str]:
    """``{canonical name: reason}`` of every line of requirements.in and requirements-nodeps.txt."""
    direct = {}
    for name in ("requirements.in", "requirements-nodeps.txt"):
        for line in (ROOT / name).read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                requirement, _, reason = line.partition("  # ")
                direct[canonicalize_name(Requirement(requirement).name)] = reason.strip()
    return direct


def declared_by_pyproject() -> set[str]:
    """Canonical names of the requirements and extras in pyproject.toml, the project itself excluded."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    return {canonicalize_name(Requirement(line).name) for line in lines} - {canonicalize_name(project["name"])}


def test_every_requirement_is_pinned_exactly_and_once():
    locked, nodeps = pinned("requirements.txt"), pinned("requirements-nodeps.txt")
    assert not set(locked) & set(nodeps), "a package is both resolved and installed without dependencies"
    assert not [v for v in locked.values() if "+" in v], "no local version label: torch==2.13.0 matches the CPU wheel"


def test_environment_yml_has_the_same_pins_as_requirements_txt():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert "python=3.11" in conda
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pins = {line for line in pip_section if PIN.match(line)}
    assert pins == set(requirement_lines((ROOT / "requirements.txt").read_text()))


def test_every_direct_dependency_has_a_reason_and_a_pin():
    direct = direct_requirements()
    assert not [name for name, reason in direct.items() if not reason], "a direct dependency without a reason"
    locked = pinned("requirements.txt") | pinned("requirements-nodeps.txt")
    assert set(direct) <= set(locked), f"not locked (run `make lock`): {sorted(set(direct) - set(locked))}"


def test_learner_lock_is_the_course_lock_narrowed():
    """requirements-learner.txt (the learner archive's install) pins a subset of requirements.txt at the
    same versions, and leaves the site's and the instructor's tooling out."""
    learner, locked = pinned("requirements-learner.txt"), pinned("requirements.txt")
    assert {k: v for k, v in learner.items() if locked.get(k) != v} == {}, "pins differ from requirements.txt"
    assert not {"jupyter-book", "pytest", "pip-tools", "sphinx", "pybtex"} & set(learner)
    assert {"jupyterlab", "jupyterlab-myst", "nbgrader", "ipykernel", "pip"} <= set(learner)


def test_learner_lock_installs_every_import_of_the_student_notebooks():
    """What a learner runs: the chapters (their sources hold every import the student notebooks make),
    the helper modules they import, the machine's preparation (it uses helpers the chapters use) and
    `make lab`'s workspace step."""
    from course.publish.execute import helper_files

    sources = sorted((ROOT / "solutions").glob("*/*.ipynb"))
    files = {*sources, *(ROOT / "notebooks").glob("*/*.ipynb"), ROOT / "scripts" / "prepare_machine.py",
             ROOT / "course" / "publish" / "workspace.py"}
    for notebook in sources:
        files |= set(helper_files(notebook))
    learner = set(pinned("requirements-learner.txt")) | set(pinned("requirements-nodeps.txt"))
    # recording.record keeps a figure's value without myst_nb (its glue is for the site only)
    optional = {"myst-nb": {"recsys_helpers/recording.py"}}
    missing = {d: sorted(f)[:3] for d, f in third_party_imports(sorted(files)).items()
               if d not in learner and f - optional.get(d, set())}
    assert not missing, f"imported by what a learner runs but not in requirements-learner.in: {missing}"


def test_pyproject_ranges_are_direct_dependencies_and_admit_the_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    locked = pinned("requirements.txt")
    assert declared_by_pyproject() <= set(direct_requirements()), "pyproject.toml names a package requirements.in lacks"
    for requirement in map(Requirement, lines):
        name = canonicalize_name(requirement.name)
        if name != canonicalize_name(project["name"]):
            assert requirement.specifier.contains(locked[name], prereleases=True), f"{requirement} excludes the pin"


def imported_top_names(code: str) -> set[str]:
    """Top-level names of the absolute imports in ``code`` (IPython magics and shell lines dropped)."""
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def third_party_imports(files) -> dict[str, set[str]]:
    """``{distribution: files importing it}`` for the third-party imports of ``files``. A name that is a
    module beside the importing file (the grading worker's ``protocol``) is local, not a distribution."""
    distributions = importlib.metadata.packages_distributions()
    found: dict[str, set[str]] = {}
    for path in files:
        if path.suffix == ".ipynb":
            cells = nbformat.read(path, as_version=4).cells
            code = "\n".join(c.source for c in cells if c.cell_type == "code")
        else:
            code = path.read_text()
        for name in imported_top_names(code):
            if name in sys.stdlib_module_names or name in FIRST_PARTY or (path.parent / f"{name}.py").exists():
                continue
            assert name in distributions, f"{path.relative_to(ROOT)} imports {name}, which no installed wheel provides"
            for distribution in distributions[name]:
                found.setdefault(canonicalize_name(distribution), set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_import_of_the_installed_packages_is_declared_in_pyproject():
    files = [*(ROOT / "recsys_helpers").rglob("*.py"), *(ROOT / "course").rglob("*.py")]
    undeclared = {d: f for d, f in third_party_imports(files).items() if d not in declared_by_pyproject()}
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_every_import_of_the_course_is_a_direct_dependency():
    files = [*(ROOT / "recsys_helpers").rglob("*.py"), *(ROOT / "course").rglob("*.py"),
             *(ROOT / "scripts").rglob("*.py"), *(ROOT / "tests").rglob("*.py"),
             *(ROOT / "solutions").glob("*/*.ipynb"), *(ROOT / "appendices").glob("*/*.ipynb")]
    undeclared = {d: f for d, f in third_party_imports(files).items() if d not in direct_requirements()}
    assert not undeclared, f"imported but not a direct dependency in requirements.in: {undeclared}"


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
    from recsys_helpers.data import load_movielens_100k
    from recsys_helpers.llm import converted_weights_folder, file_sha256, find_gguf
    from recsys_helpers.text import TextEmbedder, display_title, minilm_model_id

    converted = converted_weights_folder(file_sha256(find_gguf()))
    if not (converted / "model.safetensors").is_file():  # `make test` prepares: then this fails
        skip_unless_all(f"no converted LLM in {converted}: the model caches were not prepared (`make prepare`)")

    class NoEncoder:  # every vector must come from the cache; the id load_sentence_encoder gives
        model_id = minilm_model_id()

        def encode(self, texts, **options):
            raise AssertionError(f"{len(texts)} catalogue texts are missing from the cache")

    titles = [display_title(t) for t in load_movielens_100k().items["title"]]
    # By path: scripts/ is no package, and prepare_machine.py is the script `make install` runs (in a clone
    # and in the learner's archive); the test reads the very texts it encodes.
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
