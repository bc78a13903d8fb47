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

# The suite on TEST_WORKERS pytest-xdist workers (each with its own SQLite file and
# PostgreSQL database); TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

openapi: $(STAMP)
	$(BIN)/rapport openapi --output openapi.json

# The full benchmark (bench/README.md): S, H and D on SQLite, then PostgreSQL when
# BENCH_DATABASES includes it. Takes a while; never part of `make test` or CI.
BENCH_DATABASES ?= sqlite postgres
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { echo "make bench needs wrk: apt-get update && apt-get install -y wrk" >&2; exit 1; }
	@$(BIN)/python -c "import httpx" 2>/dev/null && test -x $(BIN)/py-spy || $(BIN)/pip install --quiet -e '.[dev,bench]'
	@rc=0; for db in $(BENCH_DATABASES); do $(BIN)/python -m bench run --database $$db --scale full $(BENCH_ARGS) || rc=$$?; done; exit $$rc

clean:
	rm -rf $(VENV) rapport.db rapport.db-wal rapport.db-shm rapport.db.writelock
