"""The learner's side: `make lab` works in a git-ignored copy, shows Validate and no instructor
tools; the learner's archive holds no instructor material. Fast; no browser, no server."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import CHAPTERS, ROOT

LAB = ROOT / "lab" / "jupyter"
INSTRUCTOR_LAB_PLUGINS = {
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:menu",
}
INSTRUCTOR_SERVER_EXTENSIONS = {
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
}


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


workspace = load_script("learner_workspace")
learner_archive = load_script("build_learner_archive")


def test_lab_config_disables_instructor_tools_and_keeps_validate():
    disabled = json.loads((LAB / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    nbgrader_disabled = {name for name, off in disabled.items() if off and name.startswith("@jupyter/nbgrader:")}
    assert nbgrader_disabled == INSTRUCTOR_LAB_PLUGINS
    assert "@jupyter/nbgrader:validate-assignment" not in disabled
    server = json.loads((LAB / "jupyter_server_config.json").read_text())["ServerApp"]["jpserver_extensions"]
    assert {name for name, on in server.items() if on is False} == INSTRUCTOR_SERVER_EXTENSIONS
    assert server["nbgrader.server_extensions.validate_assignment"] is True


def test_instructor_plugin_ids_exist_in_the_installed_nbgrader():
    """The disabled ids must match nbgrader's real plugin ids, or disabling them does nothing."""
    static = ROOT / ".venv" / "share" / "jupyter" / "labextensions" / "@jupyter" / "nbgrader" / "static"
    if not static.is_dir():
        pytest.skip("nbgrader's lab extension is not installed in .venv")
    bundled = "".join(p.read_text(errors="ignore") for p in static.glob("*.js"))
    ids = set(re.findall(r'"(@jupyter/nbgrader:[a-z-]+)"', bundled))
    assert INSTRUCTOR_LAB_PLUGINS | {"@jupyter/nbgrader:validate-assignment"} <= ids, ids


def test_make_lab_opens_work_with_the_learner_config():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile[makefile.index("\nlab:"):].split("\n\n")[0]
    assert "scripts/learner_workspace.py" in recipe
    assert "root_dir=$(CURDIR)/work" in recipe
    assert "JUPYTER_CONFIG_DIR=$(CURDIR)/lab/jupyter" in makefile
    assert re.search(r"^work/$", (ROOT / ".gitignore").read_text(), re.M), "work/ must be git-ignored"


def test_work_folder_is_ignored_by_git():
    done = subprocess.run(["git", "check-ignore", "-q", "work/01_basics/01_basics.ipynb"], cwd=ROOT, check=False)
    assert done.returncode == 0, "git does not ignore work/"


def make_chapters(folder, chapters, text):
    for chapter in chapters:
        (folder / chapter).mkdir(parents=True)
        (folder / chapter / f"{chapter}.ipynb").write_text(text)


def test_workspace_copies_each_chapter_once_and_never_overwrites(tmp_path):
    source, work = tmp_path / "notebooks", tmp_path / "work"
    make_chapters(source, ["01_a", "02_b"], "blank")
    assert workspace.populate(source, work) == ["01_a", "02_b"]
    (work / "01_a" / "01_a.ipynb").write_text("my answers")
    (work / "02_b" / "02_b.ipynb").unlink()  # a learner may delete files inside a chapter they keep

    # a release regenerates the student notebooks and adds a chapter
    (source / "01_a" / "01_a.ipynb").write_text("regenerated")
    make_chapters(source, ["03_c"], "new chapter")
    assert workspace.populate(source, work) == ["03_c"]
    assert (work / "01_a" / "01_a.ipynb").read_text() == "my answers"
    assert not (work / "02_b" / "02_b.ipynb").exists()
    assert (work / "03_c" / "03_c.ipynb").read_text() == "new chapter"
    assert workspace.populate(source, work) == []


def test_workspace_skips_checkpoints(tmp_path):
    source, work = tmp_path / "notebooks", tmp_path / "work"
    make_chapters(source, ["01_a"], "blank")
    (source / "01_a" / ".ipynb_checkpoints").mkdir()
    workspace.populate(source, work)
    assert not (work / "01_a" / ".ipynb_checkpoints").exists()


def test_learner_archive_members_and_refusals(tmp_path):
    output = tmp_path / "learner.zip"
    names = learner_archive.build(output)
    assert {f"recsys-course/notebooks/{c}/{c}.ipynb" for c in CHAPTERS} <= set(names)
    assert not [n for n in names if n.split("/")[1] in {"solutions", "tests", "grading", "book"}]
    assert zipfile.ZipFile(output).testzip() is None
    assert learner_archive.build(tmp_path / "again.zip") == names
    assert (tmp_path / "again.zip").read_bytes() == output.read_bytes(), "the archive is reproducible"
    with pytest.raises(ValueError, match="instructor"):
        learner_archive.check(Path("solutions/x.ipynb"), b"{}")
    with pytest.raises(ValueError, match="HIDDEN"):
        learner_archive.check(Path("notebooks/x/x.ipynb"), b"### BEGIN HIDDEN TESTS")
