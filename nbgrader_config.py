"""nbgrader configuration: `solutions/` holds the source notebooks, `notebooks/` the student release.

Each chapter folder `NN_slug/` is one assignment. Student work (`submitted/`, `autograded/`,
`feedback/`, `gradebook.db`) stays out of git.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # grading/ (the release step, autograding)

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
c.TagRemovePreprocessor.remove_cell_tags = {"answer"}
# The student notebook reads well in JupyterLab (jupyterlab-myst): figures as inline expressions
# evaluated in the learner's kernel, citations and book links that resolve (grading/release.py).
# It never touches a cell with nbgrader metadata, so checksums and grading are unaffected.
c.LearnerMarkdown.enabled = True
c.LearnerMarkdown.course_root = str(course_root)
c.GenerateAssignment.preprocessors = [
    "grading.release.LearnerMarkdown",
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

# Every chapter runs in well under two minutes; a cell that needs longer is a bug.
c.Execute.timeout = 300
c.Execute.kernel_name = "recsys-course"

# Autograding never runs a submission in a kernel of its own: the student's cells run in a sandbox
# (bubblewrap) and the tests run in a separate, trusted process that calls the student's functions
# remotely (grading/). nbgrader's Execute step is replaced; the rest of its pipeline is kept.
sys.path.insert(0, str(course_root))
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "grading.nbgrader_plugin.RecordedOverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "grading.nbgrader_plugin.SandboxedTests",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.RecordedOverwriteCells.add_missing_cells = True
c.SandboxedTests.source_directory = str(course_root / "solutions")
