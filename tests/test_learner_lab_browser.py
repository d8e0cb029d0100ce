"""A learner's JupyterLab, driven in headless Chromium (issue 20): does the student notebook read well?

Chapter 01 is released into a scratch course (``nbgrader generate_assignment``, with the course's
figures from its executed copy), copied into a work folder as ``make lab`` does, and opened in the
course's JupyterLab (``lab/jupyter``, ``lab/settings``) by ``scripts/lab_screenshots.py``:

- before any cell has run, every figure the prose quotes shows the course's value, marked as such;
- Run All on the blank notebook goes past every unfinished exercise to the last cell; each figure
  whose cell ran is then the learner's own, and a figure whose cell needs an unfinished exercise
  still shows the course's value: no prose is left showing code.

Screenshots and what each cell showed are kept in the test's temporary folder (``--basetemp``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from conftest import EXECUTED, ROOT, skip_unless_all
from course.cells import is_answer_cell, is_test_cell
from course.grading.synthetic import scratch_course
from course.publish import release, workspace
from recsys_helpers.recording import NOT_YET

pytestmark = pytest.mark.chapters  # the course's figures come from the executed copy
CHAPTER = "01_basics"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BIN = Path(sys.executable).parent
TOKEN = "learner-lab-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_url(url: str, process: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode} before serving {url}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


@pytest.fixture(scope="module")
def views(tmp_path_factory):
    """What the learner sees: {"source": the released notebook, "before": cells, "after": cells}."""
    if not CHROMIUM:
        skip_unless_all("LOUD SKIP: Chromium is not installed (apt-get install -y chromium)")
    executed = EXECUTED / f"{CHAPTER}.ipynb"
    if not executed.exists():
        pytest.fail(f"{executed.relative_to(ROOT)} is missing: run `make execute` first")
    base = tmp_path_factory.mktemp("lab")
    course = base / "course"
    (course / "book" / "chapters").mkdir(parents=True)
    shutil.copy(executed, course / "book" / "chapters")
    scratch_course(course, ROOT, [CHAPTER])
    work = base / "work"
    workspace.populate(course / "notebooks", work)
    root = ["--allow-root"] if os.geteuid() == 0 else []
    lab_port, debug_port = free_port(), free_port()
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           "JUPYTER_CONFIG_DIR": str(ROOT / "lab" / "jupyter"),  # make lab's environment (Makefile LAB_ENV)
           "JUPYTERLAB_SETTINGS_DIR": str(work / ".jupyter" / "user-settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(work / ".jupyter" / "workspaces")}
    with (base / "lab.log").open("w") as lab_log, (base / "chromium.log").open("w") as browser_log:
        server = subprocess.Popen(
            [str(BIN / "jupyter"), "lab", "--no-browser", f"--port={lab_port}", f"--IdentityProvider.token={TOKEN}",
             "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={work}",
             f"--LabApp.app_settings_dir={ROOT / 'lab' / 'settings'}", *root],
            env=env, stdout=lab_log, stderr=subprocess.STDOUT)
        browser = subprocess.Popen(
            [CHROMIUM, "--headless=new", f"--remote-debugging-port={debug_port}",
             f"--user-data-dir={base / 'chromium'}", *(["--no-sandbox"] if root else []), "about:blank"],
            stdout=browser_log, stderr=subprocess.STDOUT)
        try:
            wait_for_url(f"http://127.0.0.1:{lab_port}/api/status?token={TOKEN}", server)
            wait_for_url(f"http://127.0.0.1:{debug_port}/json/version", browser)

            def show(stage: str, *args: str) -> list[dict]:
                out = base / stage
                done = subprocess.run(
                    [sys.executable, str(ROOT / "scripts" / "lab_screenshots.py"), f"{CHAPTER}/{CHAPTER}.ipynb",
                     str(out), "--lab", f"http://127.0.0.1:{lab_port}", "--token", TOKEN,
                     "--debug-port", str(debug_port), "--cells", str(out / "cells.json"), *args],
                    capture_output=True, text=True, timeout=900)
                assert done.returncode == 0, done.stdout + done.stderr
                return json.loads((out / "cells.json").read_text())

            finds = ["--find", "MovieLens-100k is", "--find", "Ratings skew positive", "--find", "run_seconds"]
            before = show("before", "--no-run", *finds)
            after = show("after", *finds)  # Run All
        finally:
            for process in (browser, server):
                process.terminate()
                process.wait(30)
    source = nbformat.read(course / "notebooks" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    assert len(before) == len(after) == len(source.cells)
    return {"source": source, "before": before, "after": after}


def quoting_cells(source) -> dict[int, int]:
    """index -> how many inline figures each markdown cell quotes."""
    return {index: len(release.EVAL.findall(cell.source)) for index, cell in enumerate(source.cells)
            if cell.cell_type == "markdown" and release.EVAL.search(cell.source)}


def words(text: str) -> str:
    """``text`` without whitespace (an inline figure is a block of its own in the course's HTML)."""
    return re.sub(r"\s+", "", text)


def test_before_any_cell_has_run_the_prose_shows_the_course_figures(views):
    quoting = quoting_cells(views["source"])
    assert len(quoting) >= 5
    for index, count in quoting.items():
        shown = views["before"][index]
        assert "glued(" not in shown["text"], f"cell {index} shows code: {words(shown['text'])[:200]}"
        assert len(shown["course_figures"]) == count, f"cell {index}: {shown['course_figures']}"


def test_run_all_goes_past_unfinished_exercises_to_the_last_cell(views):
    cells, after = views["source"].cells, views["after"]
    not_run = [i for i, c in enumerate(after) if c["type"] == "code" and c["execution_count"] is None]
    assert not not_run, f"Run All stopped: cells {not_run} never ran"
    failed = {i for i, c in enumerate(after) if c["error"]}
    tests = {i for i, c in enumerate(cells) if is_test_cell(c)}
    assert tests <= failed, "every test of an unfinished exercise fails"
    first_answer = next(i for i, c in enumerate(cells) if is_answer_cell(c))
    assert all(i > first_answer and release.RUN_PAST_TAG in after[i]["tags"] for i in failed)


def test_after_run_all_each_figure_is_the_learners_once_its_cell_ran(views):
    source, before, after = views["source"], views["before"], views["after"]
    learners, course = [], []
    for index in quoting_cells(source):
        shown = after[index]
        assert "glued(" not in shown["text"] and NOT_YET not in shown["text"], f"cell {index}"
        (course if shown["course_figures"] else learners).append(index)
        if not shown["course_figures"]:  # same seeds: the learner's run reproduces the course's numbers
            assert words(shown["text"]) == words(before[index]["text"]), f"cell {index}"
    assert len(learners) >= 3, "figures of cells that ran are the learner's"
    sparsity = next(i for i, c in enumerate(source.cells) if c.cell_type == "markdown"
                    and c.source.startswith("MovieLens-100k is"))
    assert sparsity in course, "a figure computed with an unfinished exercise keeps the course's value"
