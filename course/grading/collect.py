"""From an LMS download to ``submitted/``: the file-name collector of ``nbgrader zip_collect``.

``make zip-collect`` runs ``nbgrader zip_collect NN_slug`` over ``downloaded/NN_slug/archive/``
(the LMS's zip, as downloaded). nbgrader extracts it and asks :class:`LmsFileNames` who each file
belongs to; the file lands in ``submitted/STUDENT/NN_slug/NN_slug.ipynb`` with a ``timestamp.txt``
(the submission time, in UTC) that the late penalty reads.

The default names are Blackboard Learn's ``<assignment>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>_<file>``
(its times in the LMS's time zone, ``LmsFileNames.lms_timezone``). Another LMS needs only another
``LmsFileNames.named_regexp`` with the groups ``lms_user_id`` and ``file_id`` (``timestamp`` where
its names carry one; see the README). The LMS's user name becomes the roster's student id through
the gradebook (``lms_user_id`` column of ``make roster``'s CSV).
"""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

from nbgrader.api import Gradebook
from nbgrader.plugins import FileNameCollectorPlugin
from nbgrader.utils import find_all_notebooks
from traitlets import Unicode, default

BLACKBOARD = r".*/[^/]*?_(?P<lms_user_id>[^_/]+)_attempt_(?P<timestamp>\d{4}(?:-\d\d){5})_(?P<file_id>[^/]+)$"
LMS_TIME = "%Y-%m-%d-%H-%M-%S"


class LmsFileNames(FileNameCollectorPlugin):
    """Student, notebook and submission time of one file of an LMS download, named by the roster."""

    lms_timezone = Unicode("UTC", help="IANA time zone of the times in the LMS's file names").tag(config=True)
    time_format = Unicode(LMS_TIME, help="strptime format of the LMS's times").tag(config=True)

    @default("named_regexp")
    def _blackboard(self) -> str:
        return BLACKBOARD

    def collect(self, submitted_file: str) -> dict | None:
        """{student_id, file_id[, timestamp]} of ``submitted_file``, or None to skip it (logged)."""
        found = super().collect(submitted_file)
        if found is None:
            return None
        lms_id = found.pop("lms_user_id", None) or found.get("student_id")
        if not lms_id:
            raise ValueError(f"LmsFileNames.named_regexp needs a group lms_user_id or student_id: {self.named_regexp}")
        found["student_id"] = self._student_of(lms_id, submitted_file)
        released = self._released()
        if len(released) == 1 and submitted_file.endswith(".ipynb"):  # renamed copies ("01_basics (2).ipynb")
            found["file_id"] = released[0]
        if found.get("timestamp"):
            local = datetime.strptime(found["timestamp"], self.time_format).replace(tzinfo=ZoneInfo(self.lms_timezone))
            found["timestamp"] = local.isoformat()
        return found

    def _student_of(self, lms_id: str, path: str) -> str:
        """The roster's student id for the LMS's user ``lms_id`` (the LMS id itself when not on the roster)."""
        if not hasattr(self, "_roster"):
            with Gradebook(self.parent.coursedir.db_url) as gradebook:
                self._roster = {s.lms_user_id or s.id: s.id for s in gradebook.students}
        if lms_id not in self._roster:
            self.log.warning(
                "%s: LMS user %r is not on the roster (make roster); collected as student %r",
                os.path.basename(path), lms_id, lms_id,
            )
        return self._roster.get(lms_id, lms_id)

    def _released(self) -> list[str]:
        coursedir = self.parent.coursedir
        return find_all_notebooks(coursedir.format_path(coursedir.release_directory, ".", coursedir.assignment_id))
