"""schemathesis with every other kind of credential: user keys of an owner, an admin and a plain member (of beta; an
owner in acme), a staff user's key and a read-only token (tests/openapi_fuzzing.py says what is checked). make test
sends a few valid cases each; make test-all more, and invalid ones."""

from __future__ import annotations

import pytest
from openapi_fuzzing import FEW, SHORT, fuzz
from schemathesis import GenerationMode

CREDENTIALS = ["owner", "admin", "both", "staff", "read-only token"]


@pytest.mark.parametrize(
    ("mode", "examples"),
    [
        (GenerationMode.POSITIVE, FEW),
        pytest.param(GenerationMode.POSITIVE, SHORT, marks=pytest.mark.slow),
        pytest.param(GenerationMode.NEGATIVE, SHORT, marks=pytest.mark.slow),
    ],
    ids=["valid-few", "valid", "invalid"],
)
@pytest.mark.parametrize("credential", CREDENTIALS)
def test_every_operation_answers_as_documented(world, local_api, monkeypatch, credential, mode, examples):
    fuzz(world, local_api, monkeypatch, credential, mode, examples)
