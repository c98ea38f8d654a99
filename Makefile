# The two commands of the README quickstart: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test slow vectors clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP) $@

# A local network of 4 validators with their API and faucet; ARGS passes more options,
# e.g. make run ARGS="--reset --validators 1".
run: $(STAMP)
	$(BIN)/libra testnet $(ARGS)

test: $(TEST_STAMP)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/mypy
	$(BIN)/pytest

slow: $(TEST_STAMP)
	$(BIN)/pytest -m slow

# Regenerate tests/vectors/ with the official Diem Python SDK in a throw-away virtualenv.
vectors:
	$(PYTHON) -m venv .venv-vectors
	.venv-vectors/bin/pip install --quiet diem==1.7.1 protobuf==3.20.3
	.venv-vectors/bin/python scripts/gen_vectors.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
