"""schemathesis with the organization's key and with no credential, in both generation modes (tests/openapi_fuzzing.py
says what is checked); make test-all sends many more cases."""

from __future__ import annotations

import pytest
from openapi_fuzzing import LONG, SHORT, fuzz
from schemathesis import GenerationMode


@pytest.mark.parametrize("examples", [SHORT, pytest.param(LONG, marks=pytest.mark.slow)], ids=["short", "long"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("credential", ["acme", None])
def test_every_operation_answers_as_documented(world, local_api, monkeypatch, credential, mode, examples):
    fuzz(world, local_api, monkeypatch, credential, mode, examples)
