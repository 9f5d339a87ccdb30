"""The local API runs one event at a time across every HTTP function, and one at a time per function, as Lambda runs
one per environment: Powertools keeps the current event on state every resolver in the process shares, so two HTTP
functions side by side mixed their requests (a GET /v1/metrics answered 400 "takes no body" with another request's
body)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from devtools.template import Template

TEMPLATE = Template()


def test_no_two_http_events_run_at_once_whatever_their_functions(local_api):
    running, most = 0, 0
    guard = threading.Lock()

    def handler(event, context):
        nonlocal running, most
        with guard:
            running += 1
            most = max(most, running)
        time.sleep(0.02)  # long enough for the other threads to try
        with guard:
            running -= 1
        return {"statusCode": 200, "body": ""}

    targets = {route.function_id: route for route in TEMPLATE.http_routes()}
    assert len(targets) > 5
    for target in targets.values():
        local_api._handlers[target.handler] = handler
    with ThreadPoolExecutor(len(targets)) as pool:
        list(pool.map(lambda target: local_api.invoke(target, {}), [*targets.values()] * 3))
    assert most == 1
