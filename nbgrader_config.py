"""nbgrader configuration: `solutions/` holds the source notebooks, `notebooks/` the student release.

Each chapter folder `NN_slug/` is one assignment. Student work (`submitted/`, `autograded/`,
`feedback/`, `gradebook.db`) stays out of git.
"""

from pathlib import Path

from course.cells import MODEL_ANSWER_TAG
from course.publish.execute import CELL_TIMEOUT_SECONDS, KERNEL_NAME

# The pipeline's own steps come from the installed `course` package (`make install`): the release
# step (course.publish.release) and the sandboxed autograding (course.grading).
c = get_config()  # noqa: F821 -- injected by traitlets when nbgrader loads this file

course_root = Path(__file__).resolve().parent
c.CourseDirectory.root = str(course_root)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = f"sqlite:///{course_root / 'gradebook.db'}"

# Ungraded questions keep a model answer in a markdown cell tagged "answer": the site shows it in a
# dropdown, the student notebook leaves it out.
c.TagRemovePreprocessor.enabled = True
c.TagRemovePreprocessor.remove_cell_tags = {MODEL_ANSWER_TAG}
# The student notebook reads well in JupyterLab (jupyterlab-myst): figures as inline expressions
# evaluated in the learner's kernel (the course's own values until the learner's run records theirs),
# citations and book links that resolve, and Run All goes on past an unfinished exercise
# (course/publish/release.py). It never changes the source of a cell with nbgrader metadata, so
# checksums and grading are unaffected.
c.LearnerMarkdown.enabled = True
c.LearnerMarkdown.course_root = str(course_root)
# An unfinished exercise says so wherever it is called (the release lets Run All go on past it).
c.ClearSolutions.code_stub = {
    "python": '# YOUR CODE HERE\nraise NotImplementedError("exercise not done yet: write your code here")'
}
c.GenerateAssignment.preprocessors = [
    "course.publish.release.LearnerMarkdown",
    "nbconvert.preprocessors.TagRemovePreprocessor",
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearSolutions",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# When nbgrader runs a notebook here (`nbgrader validate`; a learner's Validate button reads
# lab/jupyter/nbgrader_config.py), a cell has the time limit and kernel of `make execute`. The
# longest chapter takes about two minutes in all (benchmarks/chapters.json).
c.Execute.timeout = CELL_TIMEOUT_SECONDS
c.Execute.kernel_name = KERNEL_NAME

# Feedback says why: every test's verdict and the checker's message (from the grading report, never
# hidden test code), and the prose with its figures as the student notebook shows them
# (course/grading/feedback.py).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "course.grading.feedback.ReadableFeedback",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# Autograding never runs a submission in a kernel of its own: the student's cells run in a sandbox
# (bubblewrap) and the tests run in a separate, trusted process that calls the student's functions
# remotely (course/grading/). nbgrader's Execute step is replaced; the rest of its pipeline is kept.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "course.grading.nbgrader_plugin.RecordedOverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "course.grading.nbgrader_plugin.SandboxedTests",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.RecordedOverwriteCells.add_missing_cells = True
c.SandboxedTests.source_directory = str(course_root / "solutions")

# The instructor's class workflow (README, "A class, from roster to LMS"): the JupyterHub exchange of
# `make collect` (course id and exchange root, overridable per machine: EXCHANGE=... on make), the
# LMS download of `make zip-collect` (downloaded/NN_slug/archive/*.zip, named by course.grading.collect),
# the late penalty against the due dates of `make roster`, and the export of `make grades`.
c.CourseDirectory.course_id = "recsys-llm"
c.ZipCollectApp.collector_plugin = "course.grading.collect.LmsFileNames"
c.ZipCollectApp.strict = True
c.AssignLatePenalties.plugin_class = "course.grading.late.PercentPerDay"
c.PercentPerDay.percent_per_day = 10.0
c.ExportApp.plugin_class = "course.grading.grades.LmsCsvExport"
