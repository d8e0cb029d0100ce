"""nbgrader settings for the learner's JupyterLab (`make lab`): only what *Validate* needs.

`make lab` points JUPYTER_CONFIG_DIR at this folder and opens JupyterLab in `work/`, where no
course-level nbgrader_config.py exists; Validate then runs a notebook with these settings.
"""

c = get_config()  # noqa: F821 -- injected by traitlets when nbgrader loads this file

c.Execute.timeout = 300
c.Execute.kernel_name = "recsys-course"
