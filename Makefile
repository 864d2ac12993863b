# The two commands of the README:
#   make tour   installs the course environment and runs `rlcourse tour`
#   make test   installs the test environment and runs the whole test suite
PYTHON ?= python3
VENV   ?= .venv
PIP     = $(VENV)/bin/pip install -q --disable-pip-version-check -c constraints.txt

.PHONY: tour test venv exercises bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

venv: $(VENV)/bin/python
	$(PIP) -e ".[test]"

tour: $(VENV)/bin/python
	$(PIP) -e .
	$(VENV)/bin/rlcourse tour

test: venv
	RLCOURSE_QUICK=1 $(VENV)/bin/python -m pytest

exercises: venv
	$(VENV)/bin/rlcourse exercises

bench: venv
	$(VENV)/bin/python benchmarks/bench_dp.py
	$(VENV)/bin/python benchmarks/bench_tabular.py

clean:
	rm -rf $(VENV) tour-output
