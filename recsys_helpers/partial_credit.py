"""Partial credit in a graded test cell: the cell's points split over named parts.

>>> from recsys_helpers.partial_credit import part
>>> with part("an empty frame raises ValueError", points=1):
...     assert 1 + 1 == 2

Run in a notebook, a part is only a label: a failing assertion inside it stops the cell as usual,
with a note naming the part. When the course grades a submission, the checker
(``course.grading.checker``) records each part's verdict instead, goes on with the next part and
gives the points of the parts that passed. The points of a cell's parts must add up to the cell's
points, each given as a number literal, so the checker can read them without running the cell.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Protocol


class Recorder(Protocol):
    """What the checker installs while it runs a test cell (see :data:`RECORDER`)."""

    def record(self, name: str, error: BaseException | None) -> bool:
        """Note the part's outcome; True to go on after its error, False to let the error stop the cell."""


RECORDER: ContextVar[Recorder | None] = ContextVar("partial_credit_recorder", default=None)


class part:
    """One named part of a test cell, worth ``points`` (> 0) of the cell's points."""

    def __init__(self, name: str, *, points: float):
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a part needs a name, got {name!r}")
        if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0:
            raise ValueError(f"the part {name!r} needs points > 0, got {points!r}")
        self.name, self.points = name, float(points)

    def __enter__(self) -> part:
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        recorder = RECORDER.get()
        if recorder is not None:
            return recorder.record(self.name, error)
        if isinstance(error, Exception):
            error.add_note(f"(in the part {self.name!r} of this test, worth {self.points:g} points)")
        return False
