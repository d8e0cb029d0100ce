"""The course's late penalty: a share of the notebook's score per started day past the due date.

nbgrader's ``AssignLatePenalties`` (last step of ``make autograde``) calls :class:`PercentPerDay` for
each notebook of a submission whose ``timestamp.txt`` is later than its assignment's due date in the
gradebook (``make roster``'s ``duedates.csv``). A submission without a timestamp, or an assignment
without a due date, is never late.
"""

from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Dict, Float

DAY_SECONDS = 24 * 3600


class PercentPerDay(LateSubmissionPlugin):
    """Penalty = score x percent/100 x started days late, at most the whole score."""

    percent_per_day = Float(10.0, help="percent of the score lost per started day late").tag(config=True)
    per_assignment = Dict(
        value_trait=Float(), help="assignment -> its own percent per day (others: percent_per_day)"
    ).tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        """Points taken from ``score`` (>= 0) for a notebook ``total_seconds_late`` (> 0) seconds late."""
        percent = self.per_assignment.get(self.parent.assignment_id, self.percent_per_day)
        days = math.ceil(total_seconds_late / DAY_SECONDS)
        return min(score, score * percent * days / 100)
