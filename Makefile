# Rapport: `make run` serves on SQLite, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test openapi bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/rapport serve

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

openapi: $(STAMP)
	$(BIN)/rapport openapi --output openapi.json

clean:
	rm -rf $(VENV) rapport.db rapport.db-wal rapport.db-shm
