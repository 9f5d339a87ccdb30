# keytally: `make dev` runs it locally, `make test` checks it, `make bench` measures it.
PYTHON ?= python3
VENV ?= .venv
TOOLS := .tools
PIP_VERSION := 26.3
export SAM_CLI_TELEMETRY := 0

.PHONY: dev test bench build validate clean

$(VENV)/.installed: pyproject.toml layers/shared/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check pip==$(PIP_VERSION)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --editable . --group dev
	touch $@

# aws-sam-cli pins an old boto3, so it lives in its own environment
$(TOOLS)/.installed: pyproject.toml
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check pip==$(PIP_VERSION)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check --group tools
	touch $@

dev: $(VENV)/.installed
	$(VENV)/bin/keytally dev

test: $(VENV)/.installed $(TOOLS)/.installed
	$(VENV)/bin/pytest

bench: $(VENV)/.installed
	$(VENV)/bin/python tests/bench/run.py

validate: $(TOOLS)/.installed
	$(TOOLS)/bin/sam validate --lint

build: $(TOOLS)/.installed
	$(TOOLS)/bin/sam build

clean:
	rm -rf $(VENV) $(TOOLS) .aws-sam .pytest_cache
