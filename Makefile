# nsnn_sim: every target works from a fresh clone with nothing but Python 3.11.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: lint test test-slow mutation figures figures-full demo convergence crossval crossval-quick variability tuning learning learning-quick experiments-quick docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[all,test]"
	$(VENV)/bin/nsnn-sim -q warmup
	touch $(STAMP)

## make lint: ruff (pyflakes, import order, line length 120; configured in pyproject.toml)
lint: $(STAMP)
	$(VENV)/bin/ruff check .

## make test: create .venv, install, run the whole fast suite (< 15 min on 2 cores): two pytest processes
## (pytest-xdist), each test file in one of them (its module fixtures and first-call compilations once)
test: $(STAMP)
	$(PY) -m pytest -m "not slow" -q -n 2 --dist loadfile

## make test-slow: the long statistical runs
test-slow: $(STAMP)
	$(PY) -m pytest -m slow -q

## make mutation: a stratified fixed-seed sample of AST mutants, 10 of every module a result depends on (78
## modules, 739 mutants), each against its module's tests; those no compiled kernel can see in a copy of a
## warm Numba cache built once per run, the others in a fresh one; 2 at a time -> benchmarks/results/mutation.md
## (budget 90 min on 2 idle cores; measured 53.6 min on 2026-12-06; `$(PY) tools/mutation.py --estimate`
## measures the cost without mutants first, ~25 min)
mutation: $(STAMP)
	$(PY) tools/mutation.py --per-module 10 --seed 21 --jobs 2

## make figures: every experiment in quick mode, every figure, figures/REPORT.md (< 10 min)
figures: $(STAMP)
	$(VENV)/bin/nsnn-sim reproduce --quick

## make figures-full: the same at paper scale
figures-full: $(STAMP)
	$(VENV)/bin/nsnn-sim reproduce --full

## make demo: a short simulation -> results/demo.nc and figures/out/demo.png
demo: $(STAMP)
	$(PY) analyses/demo.py
	$(PY) figures/demo.py

## make convergence: LIF rate / CV against theory as dt -> 0 (about 2 min)
convergence: $(STAMP)
	$(PY) analyses/lif_convergence.py
	$(PY) figures/lif_convergence.py

## make crossval: nsnn_sim against Brian2 over the full grid of 19 conditions (about 3 min)
crossval: $(STAMP)
	$(PY) analyses/crossval_brian2.py
	$(PY) figures/crossval_brian2.py

## make crossval-quick: seven of the conditions at smaller sizes (under a minute)
crossval-quick: $(STAMP)
	$(PY) analyses/crossval_brian2.py --quick
	$(PY) figures/crossval_brian2.py

## make variability / make tuning: the coding experiments at paper scale (each under 3 minutes)
variability: $(STAMP)
	$(PY) analyses/variability.py
	$(PY) figures/variability.py

tuning: $(STAMP)
	$(PY) analyses/tuning.py
	$(PY) figures/tuning.py

## make learning: NDL on Randman for every noise family vs the DSNN, robustness, tuning fit (~15 min)
learning: $(STAMP)
	$(PY) analyses/learning.py
	$(PY) figures/learning.py

## make learning-quick: the same, smaller (under 3 minutes)
learning-quick: $(STAMP)
	$(PY) analyses/learning.py --quick
	$(PY) figures/learning.py

## make experiments-quick: both in quick mode (under 1 minute together)
experiments-quick: $(STAMP)
	$(PY) analyses/variability.py --quick
	$(PY) figures/variability.py
	$(PY) analyses/tuning.py --quick
	$(PY) figures/tuning.py

## make docs: the Sphinx site -> docs/_build/html (API reference, conventions, one tutorial per experiment
## with the figure of a quick run made for it: the first build runs `nsnn-sim reproduce --quick`, ~10 min);
## warnings are errors, nothing is fetched from the network
DOCS_STAMP := $(VENV)/.installed-docs
DOCS_QUICK := docs/_build/quick

$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[all,test,docs]"
	touch $(DOCS_STAMP)

$(DOCS_QUICK)/figures/REPORT.md: $(STAMP) $(shell find nsnn_sim -name '*.py' -not -name _version.py)
	$(VENV)/bin/nsnn-sim reproduce --quick --out $(DOCS_QUICK)

docs: $(DOCS_STAMP) $(DOCS_QUICK)/figures/REPORT.md
	NSNN_DOCS_QUICK=$(DOCS_QUICK) $(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html

## make clean: remove the environment, outputs and compiled caches (Numba's cache does not notice
## edits to a function that a cached kernel inlines from another file: clean after editing nsnn_sim/)
clean:
	rm -rf $(VENV) results figures/out .pytest_cache docs/_build docs/_generated
	find . -name __pycache__ -prune -exec rm -rf {} +
