# The two commands a fresh machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo demo-fixed test lint typecheck unit system-deps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

demo: $(VENV)/.runtime
	$(BIN)/launchready demo

demo-fixed: $(VENV)/.runtime
	$(BIN)/launchready demo --fixed

system-deps:
	bash scripts/system-deps.sh

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests $(wildcard bench) scripts/github_action.py

typecheck: $(VENV)/.dev
	$(BIN)/mypy --strict src/launchready scripts/github_action.py

unit: $(VENV)/.dev
	$(BIN)/python -m pytest -W error

test: $(VENV)/.dev system-deps lint typecheck unit

bench: $(VENV)/.dev system-deps
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
