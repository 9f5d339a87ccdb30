"""API Gateway's Lambda authorizer in front of a customer's API: the request's product key verified in the keytally
API the gateway is bound to exactly as POST /v1/keys/verify verifies it (the same checks in Unkey's order, the same
counters, the same verification event), asking what the route's rule asks; answered as API Gateway lets an authorizer
answer. An HTTP API (payload 2.0, simple responses) lets a call through or answers 403; a REST API's REQUEST
authorizer answers 401 (by the error API Gateway reserves for it) for a key that is missing or not one of the API's
live keys, and 403 (a Deny policy) for one refused by its allow-list, permissions, rate limit or credits. A gateway
without a binding, or a store that fails, is an error: API Gateway answers 500, and nothing gets through."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from keytally.access import bound_api
from keytally.auth.headers import credential_in
from keytally.gateway.binding import binding_of
from keytally.models import Code
from keytally.verify import service
from keytally.verify.models import Verification, VerifyKeyResponse

# a REST API answers these 401 (the credential is not one of the API's live keys); other refusals 403
UNAUTHENTICATED = frozenset({Code.NOT_FOUND, Code.UNAUTHORIZED, Code.DISABLED, Code.EXPIRED})
UNAUTHORIZED_ERROR = "Unauthorized"  # the one error message API Gateway turns into 401 (REST APIs)

Context = dict[str, str | int | bool]


class GatewayRequest(NamedTuple):
    gateway_api_id: str
    route_key: str  # `GET /orders/{id}`, `$default`
    headers: Mapping[str, str]  # names in lower case
    source_ip: str


class Decision(NamedTuple):
    code: Code | None  # None: no key came, nothing was verified
    context: Context  # for the backend, as `requestContext.authorizer` (HTTP APIs: `.lambda`), and access logs


class GatewayNotBound(RuntimeError):
    """The gateway has no usable binding: a deployment error, answered 500 by API Gateway."""


def decide(request: GatewayRequest, now: datetime) -> Decision:
    binding = binding_of(request.gateway_api_id)
    if binding is None:
        raise GatewayNotBound(f"API Gateway API {request.gateway_api_id} is bound to no keytally API")
    api = bound_api(binding.apiId)
    if api is None:
        raise GatewayNotBound(f"API Gateway API {request.gateway_api_id} is bound to {binding.apiId}: no such API")
    key = credential_in(request.headers, binding.keyHeader)
    if key is None:
        return Decision(None, {})
    rule = binding.rule_for(request.route_key)
    asked = Verification(key, api.api_id, permissions=rule.query(), cost=rule.cost)
    verified = service.verify_in(api, asked, request.source_ip, now)
    return Decision(verified.response.code, context_of(verified.response))


def context_of(response: VerifyKeyResponse) -> Context:
    """The verification, flat (REST APIs pass strings, numbers and booleans only): `code`, and for a key of the API
    `keyId`, `externalId`, `remaining` (absent: unlimited), `permissions` (comma-separated) and `ratelimitLimit`,
    `ratelimitRemaining`, `ratelimitReset` (Unix ms) when it has a rate limit."""
    context: Context = {"code": response.code.value}
    if response.keyId is None:
        return context
    context["keyId"] = response.keyId
    if response.identity is not None:
        context["externalId"] = response.identity.externalId
    if response.remaining is not None:
        context["remaining"] = response.remaining
    context["permissions"] = ",".join(response.permissions or ())
    if response.ratelimit is not None:
        context |= {
            "ratelimitLimit": response.ratelimit.limit,
            "ratelimitRemaining": response.ratelimit.remaining,
            "ratelimitReset": response.ratelimit.reset,
        }
    return context


def http_api_answer(decision: Decision) -> dict[str, Any]:
    """A simple response: a valid key gets through, anything else is API Gateway's 403."""
    from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
        APIGatewayAuthorizerResponseV2,
    )

    return APIGatewayAuthorizerResponseV2(authorize=decision.code is Code.VALID, context=decision.context).asdict()


class Unauthenticated(Exception):
    """Raised with UNAUTHORIZED_ERROR as its message: API Gateway answers the REST call 401."""


def rest_api_answer(decision: Decision, method_arn: str) -> dict[str, Any]:
    """An IAM policy allowing or denying (403) this one method ARN; raises Unauthenticated (401) when no key came or
    it is not one of the API's live keys. (Written out: Powertools' policy builder refuses resources outside its path
    pattern, such as a path with `@` in it, where the method ARN is what API Gateway asks about.)"""
    if decision.code is None or decision.code in UNAUTHENTICATED:
        raise Unauthenticated(UNAUTHORIZED_ERROR)
    statement = {
        "Action": "execute-api:Invoke",
        "Effect": "Allow" if decision.code is Code.VALID else "Deny",
        "Resource": method_arn,
    }
    return {
        "principalId": str(decision.context["keyId"]),
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        "context": decision.context,
    }
