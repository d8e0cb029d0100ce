"""Publishing the course: ``execute`` (chapters run for the site), ``release`` (the student
notebooks' readable prose, under ``nbgrader generate_assignment``), ``archive`` (the learner's
download) and ``workspace`` (the learner's ``work/`` folder, ``make lab``)."""
