"""Shared fixtures: repository paths, the chapter list and the figures a chapter recorded."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXECUTED = ROOT / "book" / "chapters"
CHAPTERS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
if os.environ.get("COURSE_CHAPTERS"):  # e.g. COURSE_CHAPTERS=01_basics,07_generative_llm while writing a chapter
    CHAPTERS = [c for c in CHAPTERS if c in os.environ["COURSE_CHAPTERS"].split(",")]

# `make test` sets COURSE_TEST_ALL=1: there, a check whose prerequisite is missing (Chromium,
# RecBole's environment, the packaged LLM, an executed chapter) fails instead of skipping, so
# a green run can never rest on a prerequisite that happened to be present on someone's machine.
TEST_ALL = os.environ.get("COURSE_TEST_ALL") == "1"


def skip_unless_all(reason: str) -> None:
    """Skip (a partial run, e.g. `make unit`) or fail (`make test`) for a missing prerequisite."""
    if TEST_ALL:
        pytest.fail(f"`make test` needs this prerequisite: {reason}")
    pytest.skip(reason)


def recorded_figures(chapter: str) -> dict[str, object]:
    """Values a chapter recorded with ``myst_nb.glue`` in its executed copy, by name.

    Plain Python literals (numbers, strings, lists, dicts) come back as Python objects; anything
    else (a figure, a DataFrame) comes back as its ``text/plain`` representation.
    """
    path = EXECUTED / f"{chapter}.ipynb"
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run `make execute` first")
    figures: dict[str, object] = {}
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook", {})
            if "name" not in scrapbook:
                continue
            name, prefix = scrapbook["name"], scrapbook.get("mime_prefix", "")
            text = output["data"].get(prefix + "text/plain", "")
            try:
                figures[name] = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                figures[name] = text
    return figures


def execution_record(chapter: str) -> dict:
    """The fingerprint and run time that ``python -m course.publish.execute`` stored for a chapter."""
    return json.loads((EXECUTED / f"{chapter}.json").read_text())


@pytest.fixture(scope="session")
def figures():
    """``figures(chapter)`` -> the chapter's recorded values, read once per session."""
    cache: dict[str, dict] = {}

    def read(chapter: str) -> dict:
        if chapter not in cache:
            cache[chapter] = recorded_figures(chapter)
        return cache[chapter]

    return read
