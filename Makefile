# nsnn_sim: every target works from a fresh clone with nothing but Python 3.11.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test test-slow demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

## make test: create .venv, install, run the whole fast suite (< 10 min on 2 cores)
test: $(STAMP)
	$(PY) -m pytest -m "not slow" -q

## make test-slow: the long statistical runs
test-slow: $(STAMP)
	$(PY) -m pytest -m slow -q

## make demo: a short simulation -> results/demo.nc and figures/out/demo.png
demo: $(STAMP)
	$(PY) analyses/demo.py
	$(PY) figures/demo.py

clean:
	rm -rf $(VENV) results figures/out .pytest_cache
