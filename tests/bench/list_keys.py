"""`make bench`, GET /v1/api_keys: the DynamoDB requests one authenticated call makes with each kind of credential
(an organization key, a user key, a staff user's key) in the demo data, at first use and in steady state, split into
the authentication path and the listing.
Alone: `make bench ONLY=list-keys`.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass

from local_store import use_new_tables
from verdicts import verdict
from volume import Volume, heading
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from devtools import demo
from devtools.local_api import LambdaContext, build_event
from devtools.template import HttpRoute, Template
from keytally.storage.dynamodb import clients

AUTH_REQUESTS_TARGET = 2
LIST_ROUTE = "GET /v1/api_keys"
CREDENTIALS = ("organization key of acme-org", "user key of bob@example.com", "user key of staff@keytally.example")
AUTH_STEPS = {  # (operation, partition-key prefix) of the requests authentication makes
    ("BatchGetItem", "KEY"): "key lookup",
    ("UpdateItem", "RATE"): "rate-limit counter",
    ("Query", "USER"): "user and memberships lookup (user keys)",
    ("UpdateItem", "KEY"): "last_used_at write (at most once a minute per key)",
}


@dataclass(frozen=True)
class DynamoRequest:
    operation: str
    partition: str
    index: str | None
    reads_counters_only: bool = False  # a BatchGetItem of product keys' counters items alone

    @classmethod
    def of(cls, operation: str, body: dict) -> DynamoRequest:
        if operation == "BatchGetItem":  # a key lookup (the key, and a product key's counters beside it), or the
            keys = next(iter(body["RequestItems"].values()))["Keys"]  # listed product keys' counters
            counters_only = all(key["sk"]["S"] == "COUNTERS" for key in keys)
            return cls(operation, keys[0]["pk"]["S"], None, counters_only)
        if "RequestItems" in body:  # the call's request event, written once the response is built
            return cls(operation, next(iter(body["RequestItems"])), None)
        if "Key" in body:
            partition = body["Key"]["pk"]["S"]
        else:  # a query: its key condition names the partition key's value first
            placeholder = re.search(r":\w+", body["KeyConditionExpression"]).group()
            partition = body["ExpressionAttributeValues"][placeholder]["S"]
        return cls(operation, partition, body.get("IndexName"))

    @property
    def is_auth(self) -> bool:
        return self.index is None and not self.is_event_write and not self.reads_counters_only

    @property
    def is_event_write(self) -> bool:
        return self.operation == "BatchWriteItem"

    @property
    def purpose(self) -> str:
        if self.is_event_write:
            return "usage: this call's request event"
        if self.is_auth:
            return "auth: " + AUTH_STEPS[(self.operation, self.partition.split("#")[0])]
        if self.reads_counters_only:
            return "listing: the listed product keys' counters"
        return f"listing: {self.partition} via index {self.index}"


class RequestLog:
    """Records every request the DynamoDB client sends (retries included)."""

    def __init__(self) -> None:
        self.requests: list[DynamoRequest] = []

    def record(self, event_name: str, request, **_) -> None:
        self.requests.append(DynamoRequest.of(event_name.rsplit(".", 1)[-1], json.loads(request.body)))


def requests_of_one_call(lambda_handler, route: HttpRoute, key_value: str, log: RequestLog) -> list[DynamoRequest]:
    request = Request(EnvironBuilder(path=route.path, headers={"Authorization": f"Bearer {key_value}"}).get_environ())
    log.requests.clear()
    result = lambda_handler(build_event(request, route, {}), LambdaContext(function_name=route.function_id))
    if result["statusCode"] != 200:
        raise RuntimeError(f"{route.route_key} answered {result['statusCode']}: {result.get('body')}")
    return list(log.requests)


def run(volume: Volume) -> None:
    """The route's function in this process over new tables holding the demo data, its requests logged."""
    template = Template()
    route = next(route for route in template.http_routes() if route.route_key == LIST_ROUTE)
    use_new_tables(template, route.function_id)
    keys = {key.label: key.key_value for key in demo.seed().keys}
    sys.path.insert(0, str(route.code_dir))
    module, attribute = route.handler.rsplit(".", 1)
    lambda_handler = getattr(importlib.import_module(module), attribute)
    log = RequestLog()
    for client in clients():
        client.meta.events.register("before-send.dynamodb.*", log.record)

    print(heading(2, f"DynamoDB requests of one authenticated {route.route_key} (moto in-process, demo data)", volume))
    print(f"   function {route.function_id} ({route.handler})")
    print(
        f"   target: auth path <= {AUTH_REQUESTS_TARGET} requests (key lookup + rate-limit counter)"
        " + what the listing needs"
    )
    print(
        "   auth: the base-table requests admission makes before the route runs;"
        " listing: the route's queries of the caller's key partitions"
    )
    try:
        for label in CREDENTIALS:
            first_use = requests_of_one_call(lambda_handler, route, keys[label], log)
            steady = requests_of_one_call(lambda_handler, route, keys[label], log)
            auth = sum(request.is_auth for request in steady)
            writes = sum(request.is_event_write for request in steady)
            by_operation = Counter(request.operation for request in steady)
            judged = verdict(auth <= AUTH_REQUESTS_TARGET, f"auth requests, {label} <= {AUTH_REQUESTS_TARGET}", auth)
            print(f"\n   {label}")
            print(
                f"     steady state: {len(steady)} requests = auth {auth} + listing {len(steady) - auth - writes}"
                f" + request event {writes}    auth target <= {AUTH_REQUESTS_TARGET}  {judged}"
            )
            for request in steady:
                print(f"       {request.operation:<15}{request.purpose}")
            counts = ", ".join(f"{operation} {count}" for operation, count in sorted(by_operation.items()))
            print(f"     by operation: {counts}")
            extra = Counter(request.purpose for request in first_use) - Counter(request.purpose for request in steady)
            print(f"     first use:    {len(first_use)} requests" + "".join(f" (+ {purpose})" for purpose in extra))
    finally:
        for client in clients():
            client.meta.events.unregister("before-send.dynamodb.*", log.record)
