# keytally: `make dev` runs it locally, `make check` lints it, type-checks the layer, runs the unit tests (Python's
# and the dashboard's), holds the imports to their contracts and scans template.yaml (in seconds), `make test` runs check and then the
# rest of the suite but the slow end-to-end runs (minutes), `make test-all` everything, `make bench` measures it.
PYTHON ?= python3
VENV ?= .venv
TOOLS := .tools
SCAN := .scan
PIP_VERSION := 26.3
export SAM_CLI_TELEMETRY := 0

.PHONY: dev check test test-all bench build validate clean web openapi smoke lock

# the layer's locked dependencies first (their hashes checked: the tests run what ships), then keytally and the tools
$(VENV)/.installed: pyproject.toml layers/shared/requirements.in layers/shared/requirements.txt
	@echo "Installing the development environment in $(VENV) (a minute or two, once)"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check pip==$(PIP_VERSION)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
		--requirement layers/shared/requirements.txt
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --editable . --group dev
	touch $@

# a tool's environment of its own: $(1) its folder, $(2) its dependency group in pyproject.toml
define tool_environment
	@echo "Installing pyproject.toml's $(2) group in $(1) (a minute or two, once)"
	$(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install --quiet --disable-pip-version-check pip==$(PIP_VERSION)
	$(1)/bin/python -m pip install --quiet --disable-pip-version-check --group $(2)
	touch $(1)/.installed
endef

# aws-sam-cli (and cfn-lint) pins an old boto3, so it lives in its own environment
$(TOOLS)/.installed: pyproject.toml
	$(call tool_environment,$(TOOLS),tools)

# checkov (the IaC scan of template.yaml that make check runs; .checkov.yaml) pins dozens of packages of its own
$(SCAN)/.installed: pyproject.toml
	$(call tool_environment,$(SCAN),scan)

# the dashboard: web/'s sources built with its locked npm packages into functions/dashboard/site
DASHBOARD := functions/dashboard/site/index.html
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
$(DASHBOARD): web/node_modules/.package-lock.json web/build.mjs web/index.html $(wildcard web/src/*.* web/src/*/*.*)
	cd web && node build.mjs
web: $(DASHBOARD)
# Unkey's SDKs, as tests/e2e/test_unkey_sdks.py runs them, from tests/sdk's lockfile
SDK_TESTS := tests/sdk/node_modules/.package-lock.json
$(SDK_TESTS): tests/sdk/package.json tests/sdk/package-lock.json
	cd tests/sdk && npm ci --no-audit --no-fund --loglevel=error
# and Unkey's Python SDKs, v1's and v2's, in an environment each (one PyPI project: they cannot share one)
UNKEY_PY := $(VENV)/unkey-py/.installed
$(UNKEY_PY): tests/sdk/python/v1.txt tests/sdk/python/v2.txt
	for version in v1 v2; do \
		$(PYTHON) -m venv $(VENV)/unkey-py/$$version && \
		$(VENV)/unkey-py/$$version/bin/python -m pip install --quiet --disable-pip-version-check \
			-r tests/sdk/python/$$version.txt || exit 1; \
	done
	touch $@

dev: $(VENV)/.installed $(DASHBOARD)
	$(VENV)/bin/keytally dev

# ruff and mypy read their settings from pyproject.toml (mypy: the layer package only)
LINTED := layers/shared/python functions devtools tests examples

# eslint and prettier read web/eslint.config.js and web/.prettierrc.json, and run from web/'s locked npm packages
check: $(VENV)/.installed $(SCAN)/.installed web/node_modules/.package-lock.json
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	PYTHONPATH=functions $(VENV)/bin/lint-imports --no-logo
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -q tests/unit
	cd web && node --test --test-reporter=dot test/*.test.mjs
	cd web && node_modules/.bin/eslint .
	cd web && node_modules/.bin/prettier --check --log-level=warn .
	$(VENV)/bin/python -m devtools.openapi --check
	@# a template checkov cannot parse passes its exit status: the summary line must say nothing failed or went unread
	@scanned="$$($(SCAN)/bin/checkov --config-file .checkov.yaml)"; echo "$$scanned"; \
		echo "$$scanned" | grep -q "Failed checks: 0, Skipped checks: 0$$"

# docs/openapi.json: the document /v1/openapi.json serves, committed (make check holds them equal)
openapi: $(VENV)/.installed
	$(VENV)/bin/python -m devtools.openapi

# `make test` runs check (the unit tests among it), then every other test but the slow ones, on every core;
# `make test-all` adds the slow ones (pytest -m slow: the dashboard in Chromium, a real Prometheus, the long fuzz)
# a file's tests share a worker (an end-to-end module starts its dev server once)
PYTEST_PARALLEL := -n auto --dist loadfile
test: check $(TOOLS)/.installed $(DASHBOARD) $(SDK_TESTS) $(UNKEY_PY)
	@command -v promtool >/dev/null || \
		echo "promtool not found: its checks of the export are skipped (install: apt-get install prometheus)"
	$(VENV)/bin/pytest --ignore=tests/unit -m "not slow" $(PYTEST_PARALLEL)

test-all: check $(TOOLS)/.installed $(DASHBOARD) $(SDK_TESTS) $(UNKEY_PY)
	@command -v prometheus >/dev/null && command -v promtool >/dev/null || \
		echo "prometheus/promtool not found: the Prometheus checks are skipped (install: apt-get install prometheus)"
	@command -v chromium >/dev/null || \
		echo "chromium not found: the dashboard's browser tests are skipped (install: apt-get install chromium)"
	$(VENV)/bin/pytest --ignore=tests/unit $(PYTEST_PARALLEL)

# make bench [ONLY=verify,ingest] [VOLUME=quick|full] [DOCS=1]: the sections named (default every one; LIST=1 lists
# them) at the quick volume (minutes) or the full one (over an hour); DOCS=1 writes their reports into docs/benchmarks.md
bench: $(VENV)/.installed $(DASHBOARD)
	$(VENV)/bin/python tests/bench/run.py $(if $(LIST),--list) $(if $(ONLY),--only $(ONLY)) \
		$(if $(VOLUME),--volume $(VOLUME)) $(if $(DOCS),--write-docs)

# make smoke: the README's flow against a deployment (KEYTALLY_URL=<ApiUrl> KEYTALLY_ORG_KEY=<an organization key>),
# else against `keytally dev` (as make test runs it)
smoke: $(VENV)/.installed $(DASHBOARD)
	$(VENV)/bin/pytest -q tests/smoke

validate: $(TOOLS)/.installed
	$(TOOLS)/bin/sam validate --lint

# layers/shared/requirements.txt from requirements.in: every dependency pinned, with its files' hashes, for every
# platform keytally runs on (Lambda's arm64 CPython 3.13, the development environments); needs the package index
lock: $(TOOLS)/.installed
	cd layers/shared && ../../$(TOOLS)/bin/uv pip compile requirements.in --universal --python-version 3.11 \
		--generate-hashes --no-header --quiet --output-file requirements.lock
	cd layers/shared && { sed -n 1,3p requirements.txt; cat requirements.lock; } > requirements.new \
		&& rm requirements.lock && mv requirements.new requirements.txt

build: $(TOOLS)/.installed $(DASHBOARD)
	$(TOOLS)/bin/sam build

clean:
	rm -rf $(VENV) $(TOOLS) $(SCAN) .aws-sam .pytest_cache web/node_modules tests/sdk/node_modules functions/dashboard/site
