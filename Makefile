# One front door for the checks (see shared/design/STYLE.md, convention 14).
#
#   make install   create .venv if missing, install the app with its test extras
#   make check     lint + types + test (what CI runs)
#   make frontend  rebuild the vendored CSS/JS in cpd_tracker/static (needs Node and npm;
#                  the output is committed, so running the app needs neither)
#
# Tools run as `$(PYTHON) -m tool`, so CI can point PYTHON at another interpreter:
#   make check PYTHON=python3

PYTHON ?= .venv/bin/python
NPM ?= npm
NODE ?= node

.PHONY: install lint types test test-postgres check frontend frontend-check

install:
	command -v $(PYTHON) >/dev/null || python3 -m venv .venv
	$(PYTHON) -m pip install -e '.[test]'

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

types:
	$(PYTHON) -m mypy

# Branch coverage of the LTI layer must stay at 90% or more (issue 2).
test:
	$(PYTHON) -m pytest --cov --cov-report=term
	$(PYTHON) -m coverage report --include='lti/*' --fail-under=90

# The same suite on PostgreSQL (needs TEST_DATABASE_URL, e.g.
# postgresql://postgres@127.0.0.1:5432/cpd_test; the tests rebuild its schema).
test-postgres:
	test -n "$(TEST_DATABASE_URL)" || (echo "set TEST_DATABASE_URL" && exit 2)
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(PYTHON) -m pytest

check: lint types test

# --- Front end --------------------------------------------------------------
# npm ci installs exactly what frontend/package-lock.json records (govuk-frontend
# and sass pinned to exact versions; --include=dev so NODE_ENV=production cannot
# skip them; --ignore-scripts: nothing we use needs an install script). Then
# frontend/build.mjs compiles frontend/scss/app.scss and copies the GOV.UK
# Frontend bundle and licence. Deterministic: a second run changes no byte.
frontend:
	cd frontend && $(NPM) ci --include=dev --ignore-scripts --no-audit --no-fund
	cd frontend && $(NODE) build.mjs

# Fails if cpd_tracker/static is not what frontend/ builds (a Sass edit without
# a rebuild, or a hand edit of the output). Needs the npm registry, so it is
# not part of `check`.
frontend-check:
	cd frontend && $(NPM) ci --include=dev --ignore-scripts --no-audit --no-fund
	cd frontend && $(NODE) build.mjs --check
