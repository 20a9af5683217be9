# The two commands a new user needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run install install-dev test faults lint format bench loadtest seed clean vendor

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Stamps: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	@mkdir -p var
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py load_seeds --if-empty
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py sync_tallies --if-unbuilt
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py import_postcodes --demo
	@# A jobs worker beside the server (big imports, bulk actions over a whole filter),
	@# stopped with it.
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py runserver 127.0.0.1:$(PORT)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: install-dev lint
	bash scripts/test-all

# The fault suite alone (tests/faults/: real concurrency, PostgreSQL only).
faults: install-dev
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} \
	  $(PY) -m pytest -m faults tests/faults

bench: install-dev
	bash scripts/bench

# gunicorn on PostgreSQL with 100,000 generated initiatives, 50 connections for 60 s.
loadtest: install-dev
	bash scripts/loadtest

# Refresh static/vendor/ (Leaflet and its marker clusters) from npm, as package-lock.json
# pins them. The copies are committed: nothing else needs npm.
vendor:
	npm ci --ignore-scripts --no-audit --no-fund
	$(PYTHON) scripts/vendor.py

clean:
	rm -rf $(VENV) var staticfiles
