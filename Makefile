# SSL-Rec Book: set-up, build and tests. The two commands of the README:
#   make book   set up (.venv, pinned Python packages, mermaid-cli, chromium), execute every chapter, build _build/html
#   make test   set up, then lint, unit tests, chapters via Papermill, nbval, a -W build of the executed book and
#               a check of every built page in headless Chromium with the network cut off
# Other targets: make setup | lab | lint | unit | notebooks | nbval | book-ci | browser | strip | clean | help
#
# Set-up is idempotent: stamp files under .venv/ and node_modules/ record what is installed, so a second run
# does nothing unless requirements/lock.txt, pyproject.toml or package-lock.json changed.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PIP := $(PY) -m pip --disable-pip-version-check
LOCK := requirements/lock.txt
RECBOLE := recbole==1.2.1
CHROMIUM := /usr/bin/chromium
XDIST ?= -n 2
TIMED := bash scripts/timed.sh
MIN_FREE_MB ?= 2500

export PUPPETEER_SKIP_DOWNLOAD := 1
export PIP_NO_INPUT := 1
# silences debugpy's "frozen modules" warning in every kernel that executes a chapter
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help setup book test lab lint unit notebooks nbval book-ci browser strip clean clean-book chromium

help:
	@sed -n '1,8p' Makefile | sed 's/^# \{0,1\}//'

# ---- set-up ----------------------------------------------------------------------------------------------------

setup: $(VENV)/.stamp-recbole $(VENV)/.stamp-editable node_modules/.stamp-npm chromium

$(VENV)/.stamp-python:
	@if [ -z "$(PYTHON)" ]; then echo "setup: no python3.11 on PATH; install Python 3.11 first" >&2; exit 1; fi
	@if [ ! -x $(PY) ]; then \
	  $(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' 2>/dev/null || \
	    { echo "setup: $(PYTHON) is not Python 3.11; run: make setup PYTHON=/path/to/python3.11" >&2; exit 1; }; \
	  echo "setup: creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); \
	fi
	@$(PY) -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' || \
	  { echo "setup: $(VENV) does not hold Python 3.11; remove it (rm -rf $(VENV)) and run make setup" >&2; exit 1; }
	@touch $@

$(VENV)/.stamp-lock: $(LOCK) $(VENV)/.stamp-python
	@bash scripts/check_free_space.sh $(MIN_FREE_MB) $(VENV) "$${TMPDIR:-/tmp}"
	@echo "setup: installing the pinned packages of $(LOCK)"
	bash scripts/install_torch.sh $(PY) $(LOCK)
	$(PIP) install -r $(LOCK)
	@$(PY) -c 'import torch; print("setup: torch", torch.__version__, "(CUDA build)" if torch.version.cuda else "(CPU build)")'
	@touch $@

$(VENV)/.stamp-editable: pyproject.toml $(VENV)/.stamp-lock
	@echo "setup: installing sslrec_utils in editable mode (no dependencies: they come from the lock)"
	$(PIP) install --no-deps -e .
	@touch $@

# RecBole only carries MovieLens-100K here (the one offline source); its own dependencies conflict with the
# lock (numpy < 2 and more), so they are never installed.
$(VENV)/.stamp-recbole: $(VENV)/.stamp-lock
	$(PIP) install --no-deps $(RECBOLE)
	@touch $@

node_modules/.stamp-npm: package.json package-lock.json
	@if ! command -v npm >/dev/null; then \
	  echo "setup: npm not found; mermaid-cli needs Node.js >= 18.19"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO=sudo; else \
	    echo "setup: install it as root: apt-get install -y nodejs npm (or Node.js 20 from nodejs.org)" >&2; exit 1; fi; \
	  echo "setup: installing Debian's nodejs and npm with apt-get"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm; \
	fi
	@command -v npm >/dev/null || { echo "setup: npm still missing after apt-get install nodejs npm" >&2; exit 1; }
	@v=$$(node -p 'process.versions.node' 2>/dev/null || echo none); \
	  { [ "$$v" != none ] && printf '%s\n' 18.19.0 "$$v" | sort -V -C; } || { \
	  echo "setup: Node.js $$v found; mermaid-cli needs 18.19 or newer: install Node.js 20 (nodejs.org)" >&2; \
	  exit 1; }
	@echo "setup: installing mermaid-cli from package-lock.json (no browser download: Debian's chromium is used)"
	npm ci --no-audit --no-fund --loglevel=error
	@test -x node_modules/.bin/mmdc
	@touch $@

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "setup: $(CHROMIUM) is missing; mermaid-cli needs it to render diagrams"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO=sudo; else \
	    echo "setup: install it as root: apt-get install -y chromium fonts-liberation" >&2; exit 1; fi; \
	  echo "setup: installing Debian's chromium with apt-get"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-liberation; \
	fi
	@test -x $(CHROMIUM) || { echo "setup: $(CHROMIUM) still missing after apt-get install chromium" >&2; exit 1; }

# ---- the book ----------------------------------------------------------------------------------------------------

book: setup
	$(PY) scripts/build_book.py
	@echo "book: open _build/html/index.html"

# JupyterLab needs the environment only, not mermaid-cli or Chromium (the book's build does)
lab: | $(VENV)/.stamp-editable $(VENV)/.stamp-recbole
	cd notebooks && $(abspath $(BIN))/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# ---- tests ---------------------------------------------------------------------------------------------------------

TEST_PHASES := lint unit notebooks nbval book-ci browser

# each phase on its own (make unit, ...) sets up what it needs first on a fresh clone (a no-op after set-up): the
# Python environment, and for the book and the browser check mermaid-cli and chromium too
lint unit notebooks nbval strip: | $(VENV)/.stamp-editable $(VENV)/.stamp-recbole
book-ci browser: | setup

# every phase runs even if an earlier one failed, so one run reports every problem; the exit status is non-zero
# if any failed
test: setup
	@rm -f _build/timings.txt; failed=""; \
	for phase in $(TEST_PHASES); do $(TIMED) $$phase $(MAKE) $$phase || failed="$$failed $$phase"; done; \
	echo "test: phase timings"; cat _build/timings.txt; \
	if [ -n "$$failed" ]; then echo "test: FAILED:$$failed" >&2; exit 1; fi; \
	echo "test: all phases passed"

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Hypothesis derandomized (tests/conftest.py's "ci" profile) and torch's global generator seeded before each test:
# the same run passes or fails the same way whatever the test order
unit:
	$(PY) -m pytest tests/ -m "not notebooks" $(XDIST) --dist loadfile -q --durations=10 --hypothesis-profile=ci

# first execution of each chapter: small parameters, glued values asserted, copies in _build/executed/
notebooks:
	$(PY) -m pytest tests/test_notebooks.py -m notebooks $(XDIST) --dist load -q --durations=0

# second execution: defaults, compared with the committed outputs of cells tagged nbval-check-output. One thread
# per kernel: two workers with two threads each on two cores made some chapters ten times slower. Kernels over Unix
# sockets (sslrec_utils/kernels.py, through the plugin tests/ipc_kernels.py): no TCP port for another process to
# take first
nbval:
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest --nbval-lax --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg \
	  notebooks/ $(XDIST) --dist loadfile -q -p no:cacheprovider -p tests.ipc_kernels

# the book rendered from the Papermill outputs (no third execution), with -W and the offline check
book-ci:
	$(PY) scripts/build_book.py --from-executed _build/executed

# every page that book-ci built, opened in headless Chromium with the network cut off (127.0.0.1 only): no error
# output, every image loads, math typeset by MathJax, the Mermaid diagram an SVG (scripts/browser_check.py).
# After `make book`: make browser HTML=_build/html
HTML ?= _build/ci-src/_build/html
browser:
	$(PY) scripts/browser_check.py $(HTML)

# ---- housekeeping ----------------------------------------------------------------------------------------------------

strip:
	$(PY) scripts/strip_notebooks.py

clean-book:
	rm -rf _build/html _build/jupyter_execute _build/.doctrees _build/ci-src _build/executed

clean: clean-book
	rm -rf _build
