"""The local API runs one event at a time across every HTTP function, and one at a time per function, as Lambda runs
one per environment: Powertools keeps the current event on state every resolver in the process shares, so two HTTP
functions side by side mixed their requests (a GET /v1/metrics answered 400 "takes no body" with another request's
body). It imports its functions one at a time, for the same reason: they share one interpreter."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from devtools.template import PROJECT_ROOT, Template

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


IMPORT_EVERY_FUNCTION_AT_ONCE = """
import sys, threading
from concurrent.futures import ThreadPoolExecutor
from devtools.local_api import LocalApi
from devtools.template import Template

sys.setswitchinterval(1e-4)
template = Template()
api = LocalApi(template)
targets = {t.handler: t for t in (*template.http_routes(), *template.schedules(), *template.queue_sources())}
together = threading.Barrier(len(targets))

def load(target):
    together.wait()
    return api.handler_for(target)

with ThreadPoolExecutor(len(targets)) as pool:
    print(sum(callable(handler) for handler in pool.map(load, targets.values())), len(targets))
"""


def test_every_function_can_be_imported_at_once_in_a_fresh_process():
    """The dev server's first seconds: its schedule, its queues and the first requests import their functions side
    by side. Imported at once, Powertools' packages deadlocked or half-initialized in 9 of 30 fresh processes (the
    smoke test got a 500: "cannot import name 'SQSEvent' from partially initialized module"); five runs here."""
    for _ in range(5):
        ran = subprocess.run(
            [sys.executable, "-c", IMPORT_EVERY_FUNCTION_AT_ONCE], capture_output=True, text=True, cwd=PROJECT_ROOT
        )
        assert ran.returncode == 0, ran.stderr[-2000:]
        imported, functions = map(int, ran.stdout.split())
        assert imported == functions > 10
