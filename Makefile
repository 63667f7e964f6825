# The book's two commands (README, Quick start), from a fresh clone:
#
#   make book    build the website from the committed notebooks and serve it on localhost
#   make test    lint, then the whole test suite: what CI runs (.ci/run)
#
# Each sets up what it needs first, and only once: the project's own virtual environment
# (.venv, with the pinned requirements.txt; never the system Python), the pinned MathJax the
# site serves itself (.mathjax, hash-checked), and for the tests Graphviz and Chromium (apt,
# when run as root or with sudo; otherwise a message names the packages).
#
# Offline, point the chapters at a copy of the data:  make test AEBOOK_DATA=/path/to/data
# Other targets: make site (build only), make lab (the notebooks in JupyterLab), make quick
# (the tests without notebooks, browser or kernels: under a minute), make lint, make clean.
# make test NBVAL=0 runs everything but the notebooks.
# PYTHON=python3.12 picks the interpreter for the virtual environment.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.PHONY: help book site test quick lint lab mathjax system clean

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
ifdef AEBOOK_DATA
export AEBOOK_DATA
endif

help:
	@sed -n '2,15p' Makefile | sed 's/^# \{0,1\}//'

# The virtual environment, rebuilt when the pins change. The stamp is written last, so an
# interrupted install is resumed by the next command.
$(VENV)/.installed: requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' || { \
	  echo "error: $(PYTHON) is Python $$($(PYTHON) -c 'import platform; print(platform.python_version())'); the book needs 3.11 to 3.13: run make with PYTHON=python3.12 (or another)" >&2; exit 1; }
	@test -x $(PY) || { echo "creating the virtual environment $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "installing the pinned environment (requirements.txt) into $(VENV) ..."
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt 2>&1 \
	  | { grep -v "^WARNING: Location '.*' is ignored" || true; }  # this machine's pip config
	@touch $@

mathjax: $(VENV)/.installed
	@$(PY) -m booktools.mathjax

system: $(VENV)/.installed
	@$(PY) -m booktools.system

site: $(VENV)/.installed mathjax
	$(VENV)/bin/jupyter-book build . -W -n --keep-going

book: site
	@$(PY) -m booktools.serve _build/html --port $(PORT)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check aebook booktools tests notebooks
	$(VENV)/bin/mypy

# One worker per core (at most 4: each notebook's kernel holds about 1.5 GB); a notebook's
# cells stay together in one worker (--dist loadfile), as nbval needs.
XDIST := -n auto --maxprocesses=4 --dist loadfile
# NBVAL=0 leaves out running the notebooks under nbval. CI does, because it runs every
# notebook in Colab's environment instead (.ci/run): once per CI run, not twice.
NBVAL ?= 1
ifeq ($(NBVAL),0)
NBVAL_ARGS := tests
endif

test: lint mathjax system
	AEBOOK_SMOKE=1 $(PY) -m pytest $(XDIST) $(NBVAL_ARGS)

# The quick loop while editing: no notebooks, no browser, no kernels (under a minute).
quick: $(VENV)/.installed
	AEBOOK_SMOKE=1 $(PY) -m pytest -m "not slow"

lab: $(VENV)/.installed
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf _build artifacts
