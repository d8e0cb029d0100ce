"""What every chapter test module shares: the ``chapters`` marker and the figures its chapter recorded.

A module names its chapter once, ``CHAPTER = "NN_slug"``; its tests take ``recorded``, the values that
chapter recorded in its executed copy (``book/chapters/NN_slug.ipynb``), by name:
``recorded["01_num_users"]``.
"""

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by marker
def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.parent == HERE:
            item.add_marker(pytest.mark.chapters)


@pytest.fixture(scope="module")
def recorded(request, figures):
    """The module's chapter's recorded figures: ``{name: value}``, numbers as numbers."""
    chapter = getattr(request.module, "CHAPTER", None)
    if chapter is None:
        pytest.fail(f"{request.module.__name__} names no CHAPTER = 'NN_slug' for its recorded figures")
    return figures(chapter)
