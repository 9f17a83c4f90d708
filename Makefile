# commend: `make run` serves the demo on http://127.0.0.1:5000, `make test` runs every test.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/commend_test
# The local key that signs sessions and set-password links: random, made once, readable by you
# alone. The app refuses to start without SECRET_KEY outside debug and testing.
SECRET_KEY_FILE := instance/secret_key
WITH_KEY = SECRET_KEY="$$(cat $(SECRET_KEY_FILE))"
# A developer's terminal reads the human-readable log lines; servers write JSON (LOG_FORMAT).
DEV = $(WITH_KEY) LOG_FORMAT=text

.DEFAULT_GOAL := help
.PHONY: help install run test test-sqlite test-postgres lint format diagram translations screenshots clean worker beat bench

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) ## Create the virtualenv and install commend with its test tools

$(SECRET_KEY_FILE):
	mkdir -p $(@D)
	(umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' > $@)

run: install $(SECRET_KEY_FILE) ## Migrate, load the demo and serve http://127.0.0.1:5000 (SQLite, tasks in-process)
	$(DEV) $(BIN)/flask --app web db upgrade
	$(DEV) $(BIN)/flask --app web seed-demo
	$(DEV) $(BIN)/flask --app web run --debug --host 127.0.0.1 --port 5000

worker: install $(SECRET_KEY_FILE) ## A Celery worker (set CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/0)
	$(DEV) $(BIN)/celery -A tasks worker --loglevel=INFO

beat: install $(SECRET_KEY_FILE) ## The Celery beat scheduler: the outbox sweep, the daily digest and list-file audit
	$(DEV) $(BIN)/celery -A tasks beat --loglevel=INFO

test: test-sqlite test-postgres ## Run the whole suite on SQLite, then on PostgreSQL

test-sqlite: install ## The suite on a throw-away SQLite database, with the browser tests
	$(BIN)/pytest -m "not postgres"

test-postgres: install ## The suite on PostgreSQL, with the worker tests; required when CI is set
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -m "not browser"

lint: install ## Ruff: lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## Ruff: fix what can be fixed and format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

translations: install ## Extract the UI's strings, update the vi catalogue and compile it
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k _plural:1,2 --no-location --sort-output -o web/translations/messages.pot .
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations --width 100
	$(BIN)/pybabel compile -d web/translations

screenshots: install ## Refresh docs/screenshots/ from the browser tests (needs /usr/bin/chromium)
	COMMEND_SCREENSHOTS=1 $(BIN)/pytest tests/test_browser.py tests/test_browser_meetings.py

bench: install ## Time actions through gunicorn+wrk against pgbench, reads at 100k and 1M rows (needs wrk)
	$(BIN)/python bench/run.py

diagram: install ## Print the workflow as a Mermaid diagram
	@$(BIN)/flask --app web workflow-diagram

clean: ## Remove the virtualenv and the local instance data
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
