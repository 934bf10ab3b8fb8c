# CityLab. The README's two commands:
#   make run    set up, load the demo city and serve it with a task worker
#   make test   set up and run the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
MO := locale/zh_Hans/LC_MESSAGES/django.mo

.PHONY: run test setup install translations migrate messages demo-code check-prod clean

run: setup
	$(PY) manage.py seed_demo
	@echo "CityLab is at http://$(HOST):$(PORT)/ with a task worker. Ctrl-C stops both."
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py db_worker & worker=$$!; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install translations
	$(PY) -m pytest

setup: install translations migrate

install: $(VENV)/.installed

# Re-install only when the pinned requirements change.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "CityLab needs Python 3.11 or newer: make PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

# Babel compiles the catalogue, so a machine without GNU gettext can run CityLab too.
translations: $(MO)
$(MO): locale/zh_Hans/LC_MESSAGES/django.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile --domain=django --directory=locale --locale=zh_Hans --statistics

migrate: install
	$(PY) manage.py migrate --noinput

# For developers adding strings (needs GNU gettext): refresh the catalogue from the code.
messages: install
	$(PY) manage.py makemessages --locale=zh_Hans --ignore=.venv --ignore=tests --ignore=bench --no-obsolete

# The demo planner's and admin's current sign-in code (development only).
demo-code: install
	$(PY) manage.py totp_code planner@lanhai.example

# Check a production configuration before starting it (settings, database, migrations, cache,
# static files, media, mail). Reads the environment, or ENV_FILE=/etc/citylab/citylab.env.
check-prod: install translations
	@set -a; if [ -n "$(ENV_FILE)" ]; then . "$(ENV_FILE)"; fi; set +a; $(PY) manage.py check_production

clean:
	rm -rf $(VENV) $(MO) .pytest_cache
