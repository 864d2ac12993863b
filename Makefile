# The two commands of the README:
#   make tour   installs the course environment and runs `rlcourse tour`
#   make test   installs the test environment, checks lint and spelling, runs the whole test suite
# and, for students, one more:
#   make course installs the course with Jupyter and starts JupyterLab on the notebooks
PYTHON ?= python3
VENV   ?= .venv
PIP     = $(VENV)/bin/pip install -q --disable-pip-version-check -c constraints.txt

.PHONY: tour test lint course venv exercises bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

venv: $(VENV)/bin/python
	$(PIP) -e ".[test]"

tour: $(VENV)/bin/python
	$(PIP) -e .
	$(VENV)/bin/rlcourse tour

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/codespell

test: lint
	RLCOURSE_QUICK=1 $(VENV)/bin/python -m pytest

course: $(VENV)/bin/python
	$(PIP) -e ".[course]"
	$(VENV)/bin/jupyter lab notebooks

exercises: venv
	$(VENV)/bin/rlcourse exercises

bench: venv
	$(PIP) -e ".[test,bench]"
	$(VENV)/bin/rlcourse bench dp
	$(VENV)/bin/rlcourse bench tabular
	$(VENV)/bin/rlcourse bench dqn

clean:
	rm -rf $(VENV) tour-output
