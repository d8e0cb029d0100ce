"""The machinery of the course, apart from what learners import (``recsys_helpers``).

- :mod:`course.cells`: the notebook vocabulary (solution and hidden-test markers, answer, test
  and demo cells, grading metadata), defined once for publishing and grading;
- :mod:`course.publish`: execution of the chapters for the site, the release step of the student
  notebooks, the learner archive and the learner's work folder;
- :mod:`course.grading`: sandboxed autograding under nbgrader.
"""
