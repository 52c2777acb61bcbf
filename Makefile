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
# Translations: the .mo files are built from the .po files when gettext is there.
PO_FILES := $(wildcard src/renkei/locale/*/LC_MESSAGES/*.po src/renkei/*/locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)
PG_ANSWERS = $(BIN)/python -c "import psycopg; psycopg.connect(host='$(PG_HOST)', port=$(PG_PORT), user='postgres', dbname='postgres', connect_timeout=3).close()" 2>/dev/null

.PHONY: start test test-sqlite test-postgres install lint clean messages

start: install
	$(BIN)/renkei start

install: $(STAMP) $(MO_FILES)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

%.mo: %.po
	@if command -v msgfmt >/dev/null; then msgfmt --check-format -o $@ $<; \
	elif [ -f $@ ]; then echo "renkei: msgfmt not found; using the existing $@"; \
	else echo "renkei: msgfmt is needed to build $@ (apt-get install gettext)" >&2; exit 1; fi

# Both runs always happen; the target fails if either failed.
test: install
	@status=0; \
	$(MAKE) --no-print-directory test-sqlite || status=1; \
	if $(PG_ANSWERS); then \
		$(MAKE) --no-print-directory test-postgres || status=1; \
	else \
		echo "renkei: no PostgreSQL server answers at $(PG_HOST):$(PG_PORT); ran SQLite only"; \
	fi; \
	exit $$status

test-sqlite: install
	@echo "=== renkei test suite on SQLite ==="
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: install
	@echo "=== renkei test suite on PostgreSQL ($(TEST_PG_URL)) ==="
	DATABASE_URL=$(TEST_PG_URL) $(BIN)/pytest $(PYTEST_ARGS)

# Apps with a catalogue of their own (src/renkei/<app>/locale/); the project catalogue leaves them out.
APP_CATALOGUES := $(patsubst src/renkei/%/locale,%,$(wildcard src/renkei/*/locale))
DJANGO_ADMIN := $(abspath $(BIN))/django-admin

# Extract marked strings into every catalogue; translate the new entries, then `make install`.
messages: $(STAMP)
	cd src/renkei && $(DJANGO_ADMIN) makemessages -l ja -l en $(foreach a,$(APP_CATALOGUES),--ignore '$(a)/*')
	for app in $(APP_CATALOGUES); do (cd src/renkei/$$app && $(DJANGO_ADMIN) makemessages -l ja -l en) || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check src tests

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
