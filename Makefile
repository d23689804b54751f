# Developer commands of the partner portal. `make help` lists them.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     := .venv
BIN      := $(VENV)/bin
PYTHON   ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
PORT     ?= 8000
SANDBOX_PORT ?= 8010
CHROMIUM ?= /usr/bin/chromium
VAR_DIR  := $(or $(PORTAL_VAR_DIR),var)
PYTEST_ARGS ?=
# Test processes (pytest-xdist): one per core by default; TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= auto
# COVERAGE=1: measure line coverage of the apps over all workers and fail under the floor of
# [tool.coverage.report] in pyproject.toml.
COVERAGE ?=

# The virtualenv is (re)installed only when the content of pyproject.toml changes.
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: help venv install run test chromium lint format migrations-check messages clean var-dirs

help:
	@echo "make run               migrate, seed demo data, run web + worker + beat + sandbox cloud"
	@echo "                        (PORT=$(PORT), SANDBOX_PORT=$(SANDBOX_PORT))"
	@echo "make test              run the test suite (PYTEST_ARGS=... is passed to pytest)"
	@echo "make lint              ruff check, ruff format --check and mypy"
	@echo "make format            ruff format and ruff check --fix"
	@echo "make migrations-check  fail if a model change has no migration"
	@echo "make messages          extract the translatable strings into django.po and compile django.mo"
	@echo "make install           create $(VENV) and install the dependencies of pyproject.toml"
	@echo "make clean             remove var/ and $(VENV)"

venv install: $(STAMP)

$(STAMP):
	@if [ ! -x $(BIN)/python ]; then \
	  echo "Creating $(VENV) with $(PYTHON)"; \
	  $(PYTHON) -m venv $(VENV); \
	fi
	@$(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { \
	  echo "$(VENV) must use Python 3.11 (found $$($(BIN)/python -V)); remove it and install python3.11." >&2; \
	  exit 1; }
	$(BIN)/python -m pip install --disable-pip-version-check --quiet ".[test]"
	@rm -rf build *.egg-info
	@rm -f $(VENV)/.installed-*
	@touch $@

var-dirs:
	@mkdir -p $(VAR_DIR)/celery/queue $(VAR_DIR)/celery/processed $(VAR_DIR)/celery/control $(VAR_DIR)/mail

run: export DJANGO_DEBUG ?= 1
run: export PORT := $(PORT)
run: export PORTAL_BASE_URL ?= http://127.0.0.1:$(PORT)
run: export SANDBOX_PORT := $(SANDBOX_PORT)
run: export SANDBOX_URL ?= http://127.0.0.1:$(SANDBOX_PORT)
run: install var-dirs
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python -m linking.cloud.sandbox seed-demo
	@echo
	@echo "  Partner portal: http://127.0.0.1:$(PORT)/"
	@echo "  Sandbox cloud console: http://127.0.0.1:$(SANDBOX_PORT)/console/ (logins above)"
	@echo "  Web server, Celery worker, Celery beat and the sandbox cloud start now; Ctrl-C stops all."
	@echo
	exec $(BIN)/honcho -f Procfile start

chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	  else \
	    echo "The browser tests need Chromium at $(CHROMIUM): sudo apt-get install chromium" >&2; \
	    exit 1; \
	  fi; \
	fi

# Locally the test databases (one per test process) are kept between runs and made anew when a
# migration or DATABASE_URL changed; CI (CI=true) always creates them from scratch and drops them.
TEST_DB_URL_SUM = $(shell echo "$${DATABASE_URL:-sqlite}" | cksum | cut -d' ' -f1)
TEST_DB_STAMP = $(VAR_DIR)/.test-db-$(TEST_DB_URL_SUM)-$(shell \
  find . -path ./var -prune -o -path './*/migrations/*.py' -print | LC_ALL=C sort | xargs cat \
  | cksum | cut -d' ' -f1)

test: export PYTEST_ARGS := $(PYTEST_ARGS)
test: install chromium
	@mkdir -p var $(VAR_DIR)/static
	@if [ -n "$${DATABASE_URL:-}" ]; then echo "Tests on the database of DATABASE_URL"; \
	  else echo "Tests on SQLite (set DATABASE_URL for PostgreSQL)"; fi
	@if [ "$${CI:-}" = true ]; then db_args=; \
	  elif [ -f "$(TEST_DB_STAMP)" ]; then db_args=--reuse-db; \
	  else db_args="--reuse-db --create-db"; rm -f $(VAR_DIR)/.test-db-$(TEST_DB_URL_SUM)-*; fi; \
	  cmd="$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal $$db_args $(if $(COVERAGE),--cov)"; \
	  echo "$$cmd $$PYTEST_ARGS"; \
	  eval "$$cmd $$PYTEST_ARGS"; status=$$?; \
	  if [ "$${CI:-}" != true ] && [ $$status -le 1 ]; then touch "$(TEST_DB_STAMP)"; fi; \
	  exit $$status

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: export DJANGO_DEBUG ?= 1
migrations-check: install
	@mkdir -p $(VAR_DIR)
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf var $(VENV) build *.egg-info

# The Simplified Chinese catalogue: new strings of the code into django.po (translate them
# there), then django.mo, which the portal reads and which is committed. Needs GNU gettext.
messages: install
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=node_modules
	DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages -l zh_Hans --ignore=.venv --ignore=node_modules
