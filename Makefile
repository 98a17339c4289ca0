# One front door for the checks (see shared/design/STYLE.md, convention 14).
#
#   make install   create .venv if missing, install the app with its test extras
#   make check     lint + types + test (what CI runs)
#   make frontend  rebuild the vendored CSS/JS in cpd_tracker/static (needs Node and npm;
#                  the output is committed, so running the app needs neither)
#   make axe       re-vendor axe-core for the browser tests into tests/e2e/vendor (npm)
#
# Tools run as `$(PYTHON) -m tool`, so CI can point PYTHON at another interpreter:
#   make check PYTHON=python3

PYTHON ?= .venv/bin/python
NPM ?= npm
NODE ?= node

.PHONY: install lint types test test-postgres check frontend frontend-check axe

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

# --- axe-core for the end-to-end tests ----------------------------------------
# The browser tests (tests/e2e) inject axe-core into every page they reach. It is
# vendored (committed) so the tests need no network: `make axe` fetches the pinned
# release with npm, checks it against the registry's recorded integrity, and copies
# axe.min.js and its licence (MPL-2.0) into tests/e2e/vendor.
AXE_VERSION ?= 4.14.1
AXE_INTEGRITY ?= sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==
axe:
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cd "$$tmp" && $(NPM) pack axe-core@$(AXE_VERSION) --silent >/dev/null; \
	got="sha512-$$(openssl dgst -sha512 -binary axe-core-$(AXE_VERSION).tgz | base64 -w0)"; \
	test "$$got" = "$(AXE_INTEGRITY)" || { echo "axe-core tarball integrity mismatch: $$got"; exit 1; }; \
	tar xzf axe-core-$(AXE_VERSION).tgz; \
	mkdir -p $(CURDIR)/tests/e2e/vendor; \
	cp package/axe.min.js $(CURDIR)/tests/e2e/vendor/axe.min.js; \
	cp package/LICENSE $(CURDIR)/tests/e2e/vendor/axe-core.LICENSE.txt; \
	echo "axe-core $(AXE_VERSION)" > $(CURDIR)/tests/e2e/vendor/VERSION
