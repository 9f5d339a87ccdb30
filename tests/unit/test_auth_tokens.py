"""keytally.auth.tokens: personal access tokens as HS256 JWTs, and what makes their claims unacceptable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from keytally.auth import tokens
from keytally.errors import Unauthorized
from keytally.models import TokenRecord

KEY = "k" * 64
NOW = datetime.now(UTC).replace(microsecond=0)


def record(**fields) -> TokenRecord:
    defaults = {"pat_id": "pat_1", "user_id": "usr_1", "name": "ci", "jti": "jti_1"}
    return TokenRecord.model_validate({**defaults, "created_at": NOW, "expires_at": NOW + timedelta(days=1), **fields})


def test_a_token_carries_its_rows_claims_and_only_them():
    bound = record(read_only=True, org_slug="acme")
    claims = tokens.verified_claims(tokens.issue(bound, KEY), KEY)
    assert claims == tokens.TokenClaims("usr_1", "pat_1", True, False, "jti_1", "acme")
    assert claims.match(bound)
    assert "org" not in jwt.decode(tokens.issue(record(), KEY), KEY, algorithms=["HS256"])


@pytest.mark.parametrize(
    "change",
    [
        {"read_only": True},
        {"access_global_metrics": True},
        {"org_slug": "acme"},
        {"jti": "jti_2"},
        {"user_id": "usr_2"},
    ],
)
def test_claims_match_only_the_row_they_were_issued_from(change):
    claims = tokens.verified_claims(tokens.issue(record(), KEY), KEY)
    assert not claims.match(record(**change))


def test_another_key_an_expired_token_or_a_tampered_one_is_unauthorized():
    with pytest.raises(Unauthorized, match="not valid"):
        tokens.verified_claims(tokens.issue(record(), KEY), "x" * 64)
    expired = record(created_at=NOW - timedelta(days=2), expires_at=NOW - timedelta(days=1))
    with pytest.raises(Unauthorized, match="expired"):
        tokens.verified_claims(tokens.issue(expired, KEY), KEY)
    header, payload, signature = tokens.issue(record(), KEY).split(".")
    with pytest.raises(Unauthorized):
        tokens.verified_claims(f"{header}.{payload}.{signature[::-1]}", KEY)


@pytest.mark.parametrize(
    "claims",
    [
        {"pat_ro": "false"},  # flags must be booleans
        {"pat_agm": 0},
        {"sub": 7},
        {"org": ["acme"]},
    ],
)
def test_claims_of_the_wrong_type_are_unauthorized(claims):
    valid = jwt.decode(tokens.issue(record(), KEY), KEY, algorithms=["HS256"])
    with pytest.raises(Unauthorized):
        tokens.verified_claims(jwt.encode({**valid, **claims}, KEY, algorithm="HS256"), KEY)


@pytest.mark.parametrize("missing", tokens.REQUIRED_CLAIMS)
def test_every_claim_is_required(missing):
    valid = jwt.decode(tokens.issue(record(), KEY), KEY, algorithms=["HS256"])
    del valid[missing]
    with pytest.raises(Unauthorized):
        tokens.verified_claims(jwt.encode(valid, KEY, algorithm="HS256"), KEY)


def test_only_jwt_shapes_look_like_tokens():
    assert tokens.looks_like_token(tokens.issue(record(), KEY))
    assert not tokens.looks_like_token("kt_org_abc")
    assert not tokens.looks_like_token("eyJonly.two")
