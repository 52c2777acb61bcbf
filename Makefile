# renkei: the two commands of the Quick start, and what they stand on.
#   make start   install, migrate, load the demo world if the database is empty, serve :8000
#   make test    the whole suite on SQLite, and on PostgreSQL when a server answers locally

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-installed only when pyproject.toml changes, so repeated runs start at once.
STAMP := $(VENV)/.renkei-installed
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
TEST_PG_URL ?= postgres://postgres@$(PG_HOST):$(PG_PORT)/renkei
PYTEST_ARGS ?=
PG_ANSWERS = $(BIN)/python -c "import psycopg; psycopg.connect(host='$(PG_HOST)', port=$(PG_PORT), user='postgres', dbname='postgres', connect_timeout=3).close()" 2>/dev/null

.PHONY: start test test-sqlite test-postgres install lint clean

start: $(STAMP)
	$(BIN)/renkei start

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# Both runs always happen; the target fails if either failed.
test: $(STAMP)
	@status=0; \
	$(MAKE) --no-print-directory test-sqlite || status=1; \
	if $(PG_ANSWERS); then \
		$(MAKE) --no-print-directory test-postgres || status=1; \
	else \
		echo "renkei: no PostgreSQL server answers at $(PG_HOST):$(PG_PORT); ran SQLite only"; \
	fi; \
	exit $$status

test-sqlite: $(STAMP)
	@echo "=== renkei test suite on SQLite ==="
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@echo "=== renkei test suite on PostgreSQL ($(TEST_PG_URL)) ==="
	DATABASE_URL=$(TEST_PG_URL) $(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
