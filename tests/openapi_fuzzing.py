"""schemathesis against the local API's own /v1/openapi.json, in process (tests/integration/test_openapi_fuzz*.py):
every documented operation, with one credential. No answer may be a 5xx, refuse a request the document says is
valid, or differ from what the document says (status, content type, headers, body schema)."""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from keytally import admin
from keytally.auth import rate_limit
from keytally.tokens.models import CreatePersonalAccessToken

from world import ACME

# Examples per operation, credential and mode: make test sends 25 (FEW for the credentials beyond the organization's
# key), make test-all 50 more. Both send the same cases
# every run, so a failure in CI is the one you get here; with FUZZ_EXAMPLES set the long run explores that many new
# cases each run instead (hypothesis prints how to reproduce what fails).
FEW, SHORT, LONG = 10, 25, int(os.environ.get("FUZZ_EXAMPLES", "50"))


def bounded(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=examples != LONG or "FUZZ_EXAMPLES" not in os.environ,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


# Where a valid-looking request may rightly be a 422 that no schema can foresee: whether product fields or scopes fit
# a PATCH depends on the stored key's type; an expiry must be one a table can store (1970 to 9999: JSON Schema cannot
# bound a date-time); analytics need `start` before `end` (OpenAPI cannot relate two parameters), at most 50,000 time
# slices, and a window whose rows fit one query's read budget
BEYOND_THE_SCHEMA = """
[[operations]]
include-name = [
    "POST /v1/api_keys", "PATCH /v1/api_keys/{api_key_id}", "GET /v1/analytics/verifications",
    "HEAD /v1/analytics/verifications", "GET /v1/analytics/api_keys", "HEAD /v1/analytics/api_keys"
]
checks.positive_data_acceptance.expected-statuses = ["2xx", 401, 403, 404, 409, 422, 429]
"""


# A credential bound to no organization (a user's key or token) must name one where a route acts in one (422 without),
# and cannot scrape GET /v1/metrics, which serves the credential's own organization (400)
UNBOUND = """
[[operations]]
include-name = [
    "GET /v1/apis", "HEAD /v1/apis", "POST /v1/apis", "POST /v1/events", "GET /v1/metrics", "HEAD /v1/metrics"
]
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 404, 409, 422, 429]
"""


# Unkey v2's permission query is text with a grammar (`a AND (b OR c)`) no JSON Schema states: a malformed one is a
# 400 naming body.permissions
GRAMMAR = """
[[operations]]
include-name = ["POST /v2/keys.verifyKey"]
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 404, 429]
"""
# The same, on Unkey's v1 analytics, which answers invalid input 400; keys.getVerifications takes keyId or ownerId,
# exactly one (OpenAPI cannot relate two parameters)
UNKEY_BEYOND_THE_SCHEMA = """
[[operations]]
include-name = [
    "GET /v1/analytics.getVerifications", "HEAD /v1/analytics.getVerifications", "GET /v1/keys.getVerifications",
    "HEAD /v1/keys.getVerifications"
]
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 404, 429]
"""
# Unkey v2's SQL analytics is a documented 501 (keytally does not implement it), which is no server error here
NOT_IMPLEMENTED = """
[[operations]]
include-name = ["POST /v2/analytics.getVerifications"]
checks.not_a_server_error.enabled = false
"""


def config(key: str | None, bound: bool) -> SchemathesisConfig:
    """With a key, schemathesis sends it in every request (and never makes it invalid on purpose)."""
    auth = f'[auth.openapi.bearerAuth]\nbearer = "{key}"\n' if key else ""
    return SchemathesisConfig.from_str(
        auth + BEYOND_THE_SCHEMA + UNKEY_BEYOND_THE_SCHEMA + GRAMMAR + NOT_IMPLEMENTED + ("" if bound else UNBOUND)
    )


def aimed(case, key_id: str | None, api_id: str | None):
    """The case as the test sends it: a key id in the path, or an API id in the query or body, is sometimes one of
    the world's, so updates, revocations, verifications and analytics reach real data. `cursor` is left out: only
    the `next_cursor` the server handed out is valid, which no schema can say (a made-up one is a 400)."""
    if isinstance(case.body, dict):
        case.body.pop("cursor", None)
    if case.query:
        case.query.pop("cursor", None)
        if "apiId" in case.query and api_id:
            case.query["apiId"] = api_id
    if case.path_parameters and "api_key_id" in case.path_parameters and key_id:
        case.path_parameters["api_key_id"] = key_id
    if isinstance(case.body, dict) and api_id:
        for name in ("apiId", "api_id"):
            if isinstance(case.body.get(name), str):
                case.body[name] = api_id
    return case


def credential_of(world, label: str | None) -> str | None:
    if label == "read-only token":
        request = CreatePersonalAccessToken(name="fuzz", read_only=True)
        return admin.create_token("owner@acme.test", request, datetime.now(UTC))[1]
    return world.keys[label] if label else None


def sparing(own_key_id: str | None):
    """A filter on every case: none names the key the test calls with, so it is never revoked or disabled."""
    return lambda case: own_key_id is None or (case.path_parameters or {}).get("api_key_id") != own_key_id


def fuzz(world, local_api, monkeypatch, credential: str | None, mode: GenerationMode, examples: int) -> None:
    """Every operation, `examples` cases each in `mode`, sent with the credential (a world label, or none)."""
    # one address sends thousands of deliberately bad credentials here: the budget that would make it wait (429) is
    # tested in test_authorization_matrix, not hit here
    monkeypatch.setattr(rate_limit, "REFUSED_LIMIT", 10**9)
    others = [key_id for label, key_id in world.ids.items() if label != "acme"]
    api_id = admin.create_api(ACME, "fuzzed", datetime.now(UTC)).api_id
    key = credential_of(world, credential)
    schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", local_api, config=config(key, credential == "acme"))
    failures, statuses = {}, Counter()
    for result in schema.get_all_operations():
        operation = result.ok()

        cases = operation.as_strategy(generation_mode=mode)
        if mode is GenerationMode.POSITIVE:  # an invalid case stays as schemathesis made it
            cases = st.builds(aimed, cases, st.sampled_from([None, *others]), st.sampled_from([None, api_id]))
        cases = cases.filter(sparing(world.ids.get(credential or "")))

        @given(case=cases)
        @bounded(examples)
        def answers_as_documented(case):
            response = case.call_and_validate()
            statuses[response.status_code] += 1

        try:
            answers_as_documented()
        except (AssertionError, BaseExceptionGroup) as failure:  # each operation's failures, reported together
            failures[operation.label] = failure
    print(f"{credential or 'no credential'}, {mode.value}: {sum(statuses.values())} requests, statuses {statuses}")
    assert not failures, "\n\n".join(f"{label}: {failure}" for label, failure in failures.items())
    if credential and mode is GenerationMode.POSITIVE:
        assert sum(count for status, count in statuses.items() if status < 300) > examples  # the key got through
