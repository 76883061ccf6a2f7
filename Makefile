# shegong — two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PEOPLE ?= 3000
CHROMIUM ?= /usr/bin/chromium

export DJANGO_SETTINGS_MODULE := shegong.settings

.PHONY: run test fuzz install migrate seed lint format messages bench clean-db browser-deps prod-smoke

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

migrate: install
	@mkdir -p var
	DEBUG=1 $(PY) manage.py migrate --noinput

seed: migrate
	DEBUG=1 $(PY) manage.py seed_demo --if-empty --people $(DEMO_PEOPLE)

# Web (Django) and worker (Huey consumer) together; Ctrl-C stops both.
run: seed
	@echo "shegong on http://$(HOST):$(PORT)/  (Ctrl-C stops web and worker)"
	@echo "demo accounts: demo-district demo-center demo-township demo-village demo-volunteer demo-viewer demo-juvenile demo-procuratorate demo-institution demo-bank"
	@echo "password: $${SHEGONG_DEMO_PASSWORD:-shegong-demo}"
	@trap 'kill 0' INT TERM EXIT; \
	DEBUG=1 $(PY) manage.py run_huey --quiet & \
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

# Browser tests need Debian's Chromium and CJK fonts; install them when missing and root.
browser-deps:
	@if [ ! -x $(CHROMIUM) ] || ! fc-list 2>/dev/null | grep -qi 'noto.*cjk' || ! command -v msgfmt >/dev/null; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing chromium, fonts-noto-cjk and gettext with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk gettext >/dev/null; \
	  else \
	    echo "ERROR: browser tests need $(CHROMIUM), fonts-noto-cjk and gettext." >&2; \
	    echo "Run as root once, or: sudo apt-get install chromium fonts-noto-cjk gettext" >&2; exit 1; \
	  fi; \
	fi

test: install browser-deps
	SHEGONG_TESTING=1 HUEY_IMMEDIATE=1 $(PY) -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

# The schemathesis run over the whole API alone, with its summary (also part of `make test`).
fuzz: install
	SHEGONG_TESTING=1 HUEY_IMMEDIATE=1 $(PY) -m pytest -s -p no:randomly shegong/tests/test_api_fuzz.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Regenerate the translation catalogues after changing user-facing strings.
messages: install
	cd shegong && DEBUG=1 ../$(PY) ../manage.py makemessages -l zh_Hans -l en --no-obsolete
	cd shegong && DEBUG=1 ../$(PY) ../manage.py compilemessages

bench: install
	DEBUG=1 $(PY) bench/people.py $(BENCH_ARGS)

# The production layout of deploy/ (gunicorn, two Huey consumers, PostgreSQL, Redis, DEBUG off)
# brought up here and used over HTTP; everything it starts is stopped and dropped again.
prod-smoke: install
	$(PY) deploy/prod_smoke.py $(SMOKE_ARGS)

clean-db:
	rm -f var/shegong.sqlite3* var/huey.sqlite3*
