"""`make bench`: what the functions cost in cold-start import time (cold_start.py), what a call of the api_keys
function costs in DynamoDB requests, then what the usage pipeline costs (pipeline.py), request analytics
(request_analytics.py), organization metrics (organization_metrics.py), the Prometheus export (metrics_scrape.py),
what throttling costs (throttled_writes.py), a bounded load run on loopback (load_run.py), a query ending now
(open_hour_query.py), raw writes past one partition (sharded_writes.py) and the fanned-out rollup (fan_out.py).

Prints a report against the targets; asserts nothing about wall-clock time.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
import sys
import warnings
from collections import Counter
from dataclasses import dataclass

import cold_start
import fan_out
import load_run
import metrics_scrape
import open_hour_query
import organization_metrics
import pipeline
import request_analytics
import sharded_writes
import throttled_writes
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from devtools import demo, store
from devtools.local_api import LambdaContext, build_event
from devtools.template import HttpRoute, Template
from keytally.storage.dynamodb import clients

LAMBDA_ENV = {
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
AUTH_REQUESTS_TARGET = 2
LIST_ROUTE = "GET /v1/api_keys"
CREDENTIALS = ("organization key of acme-org", "user key of bob@example.com", "user key of staff@keytally.example")
AUTH_STEPS = {  # (operation, partition-key prefix) of the requests authentication makes
    ("BatchGetItem", "KEY"): "key lookup",
    ("UpdateItem", "RATE"): "rate-limit counter",
    ("Query", "USER"): "user and memberships lookup (user keys)",
    ("UpdateItem", "KEY"): "last_used_at write (at most once a minute per key)",
}


def verdict(passed: bool) -> str:
    return "PASS" if passed else "MISS"


@dataclass(frozen=True)
class DynamoRequest:
    operation: str
    partition: str
    index: str | None

    @classmethod
    def of(cls, operation: str, body: dict) -> DynamoRequest:
        if operation == "BatchGetItem":  # a key lookup (the key, and a product key's counters beside it)
            keys = next(iter(body["RequestItems"].values()))["Keys"]
            return cls(operation, keys[0]["pk"]["S"], None)
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
        return self.index is None and not self.is_event_write

    @property
    def is_event_write(self) -> bool:
        return self.operation == "BatchWriteItem"

    @property
    def purpose(self) -> str:
        if self.is_event_write:
            return "usage: this call's request event"
        if self.is_auth:
            return "auth: " + AUTH_STEPS[(self.operation, self.partition.split("#")[0])]
        return f"listing: {self.partition} via index {self.index}"


class RequestLog:
    """Records every request the DynamoDB client sends (retries included)."""

    def __init__(self) -> None:
        self.requests: list[DynamoRequest] = []

    def record(self, event_name: str, request, **_) -> None:
        self.requests.append(DynamoRequest.of(event_name.rsplit(".", 1)[-1], json.loads(request.body)))


def start_local_store() -> None:
    """moto in this process, seen as a Lambda function sees DynamoDB, quietly."""
    os.environ.update(LAMBDA_ENV)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server would log every request
    warnings.filterwarnings("ignore", "No application metrics to publish")  # metrics are disabled here
    store.start_moto(port=0)
    store.create_secrets(Template())


def prepare_store(template: Template, route: HttpRoute) -> dict[str, str]:
    """moto in this process with the template's tables, the function's environment, and the demo data's keys."""
    start_local_store()
    names = store.local_names(template)
    store.create_tables(template, names)
    store.create_queues(template, names)
    os.environ.update(template.function_environment(route.function_id, names))
    return {key.label: key.key_value for key in demo.seed().keys}


def requests_of_one_call(lambda_handler, route: HttpRoute, key_value: str, log: RequestLog) -> list[DynamoRequest]:
    request = Request(EnvironBuilder(path=route.path, headers={"Authorization": f"Bearer {key_value}"}).get_environ())
    log.requests.clear()
    result = lambda_handler(build_event(request, route, {}), LambdaContext(function_name=route.function_id))
    if result["statusCode"] != 200:
        raise RuntimeError(f"{route.route_key} answered {result['statusCode']}: {result.get('body')}")
    return list(log.requests)


def report_dynamodb_requests(template: Template, route: HttpRoute) -> None:
    keys = prepare_store(template, route)
    sys.path.insert(0, str(route.code_dir))
    module, attribute = route.handler.rsplit(".", 1)
    lambda_handler = getattr(importlib.import_module(module), attribute)
    log = RequestLog()
    for client in clients():
        client.meta.events.register("before-send.dynamodb.*", log.record)

    print(f"2. DynamoDB requests of one authenticated {route.route_key} (moto in-process, demo data)")
    print(
        f"   target: auth path <= {AUTH_REQUESTS_TARGET} requests (key lookup + rate-limit counter)"
        " + what the listing needs"
    )
    print(
        "   auth: the base-table requests admission makes before the route runs;"
        " listing: the route's queries of the caller's key partitions"
    )
    for label in CREDENTIALS:
        first_use = requests_of_one_call(lambda_handler, route, keys[label], log)
        steady = requests_of_one_call(lambda_handler, route, keys[label], log)
        auth = sum(request.is_auth for request in steady)
        writes = sum(request.is_event_write for request in steady)
        by_operation = Counter(request.operation for request in steady)
        print(f"\n   {label}")
        print(
            f"     steady state: {len(steady)} requests = auth {auth} + listing {len(steady) - auth - writes}"
            f" + request event {writes}"
            f"    auth target <= {AUTH_REQUESTS_TARGET}  {verdict(auth <= AUTH_REQUESTS_TARGET)}"
        )
        for request in steady:
            print(f"       {request.operation:<15}{request.purpose}")
        counts = ", ".join(f"{operation} {count}" for operation, count in sorted(by_operation.items()))
        print(f"     by operation: {counts}")
        extra = Counter(request.purpose for request in first_use) - Counter(request.purpose for request in steady)
        print(f"     first use:    {len(first_use)} requests" + "".join(f" (+ {purpose})" for purpose in extra))
    for client in clients():
        client.meta.events.unregister("before-send.dynamodb.*", log.record)


def main() -> None:
    template = Template()
    route = next(route for route in template.http_routes() if route.route_key == LIST_ROUTE)
    print(f"keytally bench: {route.function_id} ({route.handler})\n")
    cold_start.report(template)
    print()
    report_dynamodb_requests(template, route)
    print()
    pipeline.main()
    print()
    request_analytics.main()
    print()
    organization_metrics.main()
    print()
    metrics_scrape.main()
    print()
    throttled_writes.main()
    print()
    load_run.main()
    print()
    open_hour_query.main()
    print()
    sharded_writes.main()
    print()
    fan_out.main()


if __name__ == "__main__":
    main()
