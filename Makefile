# The two commands: `make run` (serve the platform on the embedded defaults) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test lint install install-dev serve integration browser ci clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.base: requirements/base.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements/base.txt
	touch $@

$(VENV)/.dev: requirements/base.txt requirements/corpus.txt requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements/dev.txt
	touch $(VENV)/.base $@

install: $(VENV)/.base
install-dev: $(VENV)/.dev

run: $(VENV)/.base
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	@echo ""
	@echo "  Home          http://$(HOST):$(PORT)/"
	@echo "  Admin         http://$(HOST):$(PORT)/admin/"
	@echo "  API docs      http://$(HOST):$(PORT)/api/docs/"
	@echo "  API schema    http://$(HOST):$(PORT)/api/schema/"
	@echo "  Labeling      http://$(HOST):$(PORT)/videos/label/   (gallery: /videos/gallery/)"
	@echo "  Workspace     http://$(HOST):$(PORT)/workspace/      (experts)"
	@echo "  Alerts        http://$(HOST):$(PORT)/alerts/monitor/ (managers, alert watchers)"
	@echo "  Websockets    ws://$(HOST):$(PORT)/ws/notifications/, /ws/alert/, /ws/device/"
	@echo ""
	$(BIN)/uvicorn labelplatform.asgi:application --host $(HOST) --port $(PORT) --no-access-log --lifespan off

lint: $(VENV)/.dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

test: $(VENV)/.dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python manage.py makemigrations --check --dry-run
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest -q tests --ignore=tests/integration --ignore=tests/browser

$(VENV)/.mysql: requirements/base.txt requirements/mysql.txt | $(VENV)/.dev
	$(BIN)/pip install -q -r requirements/mysql.txt
	touch $@

# Real MariaDB + Redis (+ a Celery worker and two ASGI processes): needs DATABASE_URL=mysql://... and
# REDIS_URL, as .ci/run sets them; without a mysql DATABASE_URL every test is skipped with the reason.
integration: $(VENV)/.dev $(VENV)/.mysql
	$(BIN)/pytest -v -ra tests/integration

# Headless /usr/bin/chromium against `make run` on a throwaway SQLite file (embedded defaults).
browser: $(VENV)/.dev
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest -v -ra tests/browser

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) staticfiles
