# Provenance: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint check worker bench clean backup restore

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

# The demo leaves the second factor off (SECOND_FACTOR_REQUIRED=false: one command,
# no phone needed); load_demo prints that plainly. Deployments keep the default, on.
run: install
	$(BIN)/python manage.py migrate --noinput
	SECOND_FACTOR_REQUIRED=false $(BIN)/python manage.py load_demo
	@echo "Serving on http://127.0.0.1:8000 — log in with an account printed above."
	SECOND_FACTOR_REQUIRED=false $(BIN)/python manage.py runserver 127.0.0.1:8000

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports  # the rooms' import direction (pyproject.toml)

check: install
	$(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=0 SECRET_KEY=ci-only-$$(date +%s)-not-a-real-secret-key-0123456789abcdef \
	  ALLOWED_HOSTS=provenance.example.org $(BIN)/python manage.py check --deploy --fail-level WARNING

# The database and every stored file together: make backup DIR=backups/2026-12-03;
# restore into an empty deployment: make restore DIR=… (migrates first).
backup: install
	$(BIN)/python manage.py backup $(DIR)

restore: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py restore $(DIR)
	$(BIN)/python manage.py verify_audit

worker: install
	$(BIN)/celery -A provenance worker --beat --loglevel INFO

bench: install
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
