"""keytally.settings: a Lambda function missing a table variable fails at cold start; local runs have defaults."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from keytally.settings import LOCAL_DEFAULTS, get_settings
from keytally.web.app import create_app

LAMBDA_VARIABLES = {name: f"keytally-dev-{name.lower()}" for name in LOCAL_DEFAULTS}


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch):
    for name in (*LOCAL_DEFAULTS, "AWS_LAMBDA_FUNCTION_NAME"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_local_runs_default_to_the_templates_logical_ids():
    settings = get_settings()
    assert (settings.table_name, settings.events_table) == ("KeytallyTable", "RawEventsTable")


def test_in_lambda_every_table_variable_is_required_and_named(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "keytally-dev-VerifyFunction")
    for name, value in LAMBDA_VARIABLES.items():
        if name != "KEYTALLY_HOURLY_TABLE":
            monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match="KEYTALLY_HOURLY_TABLE"):
        get_settings()
    with pytest.raises(ValidationError, match="KEYTALLY_HOURLY_TABLE"):
        create_app()  # what every HTTP handler module runs at import: the cold start fails


def test_in_lambda_the_variables_are_used(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "keytally-dev-VerifyFunction")
    for name, value in LAMBDA_VARIABLES.items():
        monkeypatch.setenv(name, value)
    assert get_settings().monthly_table == "keytally-dev-keytally_monthly_table"


def test_an_invocation_without_metrics_warns_nobody():
    """In a fresh interpreter, as in a Lambda container, with every warning shown."""
    flush = "from keytally.observability import metrics; metrics.flush_metrics(); metrics.flush_metrics()"
    ran = subprocess.run([sys.executable, "-W", "always", "-c", flush], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0 and "No application metrics" not in ran.stderr, ran.stderr
