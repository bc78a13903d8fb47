# Rapport: `make run` serves on SQLite, `make test` runs the whole suite.
# Everything installs from the lock files (exact versions with hashes); `make lock`
# refreshes them after a change to pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
UV := $(BIN)/uv
STAMP := $(VENV)/.installed

.PHONY: run test lint fmt lock openapi bench clean

$(STAMP): requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) pip install --quiet --python $(BIN)/python --require-hashes -r requirements-dev.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/rapport serve

# The suite on TEST_WORKERS pytest-xdist workers (each with its own SQLite file and
# PostgreSQL database); TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Static checks, as CI runs them before the tests.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(MYPY_ARGS)

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-resolve the lock files from pyproject.toml (needs the registry).
lock:
	test -x $(UV) || { test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); $(BIN)/pip install --quiet uv==$(UV_VERSION); }
	$(UV) pip compile pyproject.toml --quiet --universal --python-version 3.11 --generate-hashes -o requirements.lock
	$(UV) pip compile pyproject.toml --quiet --universal --python-version 3.11 --generate-hashes --extra dev -o requirements-dev.lock

openapi: $(STAMP)
	$(BIN)/rapport openapi --output openapi.json

# The full benchmark (bench/README.md): S, H and D on SQLite, then PostgreSQL when
# BENCH_DATABASES includes it. Takes a while; never part of `make test` or CI.
BENCH_DATABASES ?= sqlite postgres
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { echo "make bench needs wrk: apt-get update && apt-get install -y wrk" >&2; exit 1; }
	@test -x $(BIN)/py-spy || $(UV) pip install --quiet --python $(BIN)/python 'py-spy>=0.3.14'
	@rc=0; for db in $(BENCH_DATABASES); do $(BIN)/python -m bench run --database $$db --scale full $(BENCH_ARGS) || rc=$$?; done; exit $$rc

clean:
	rm -rf $(VENV) rapport.db rapport.db-wal rapport.db-shm rapport.db.writelock
