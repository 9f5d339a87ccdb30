"""The local API runs template.yaml's schedules (the rollup dispatcher on its rate, with its input) and its queues'
functions (the rollup worker), beside the HTTP routes."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sample_requests import sample_request
from werkzeug.test import Client

from devtools.local_api import LocalApi, start_queue_sources, start_schedules
from devtools.template import Template
from keytally import admin
from keytally.observability import logger
from keytally.storage import rollups

ROLLUP_DUE = Path(__file__).parents[2] / "events" / "rollup_due.json"


def test_the_template_dispatches_rollups_every_minute_with_its_input():
    (schedule,) = Template().schedules()
    assert (schedule.function_id, schedule.handler) == (
        "RollupDispatchFunction",
        "rollup_dispatch.handler.lambda_handler",
    )
    assert schedule.every_seconds == 60
    assert schedule.input == {"source": "keytally.schedule", "action": "dispatch-rollups"}


def test_a_schedule_runs_at_start_its_messages_reach_the_worker_and_the_api_answers_meanwhile(tables, client):
    now = datetime.now(UTC)
    admin.create_organization("timer-org", None, now - timedelta(hours=3))
    admin.load_events([sample_request("ev_1", now - timedelta(minutes=20), org_slug="timer-org")])
    template, api = Template(), LocalApi(Template())
    (schedule,) = template.schedules()
    stop_schedules = start_schedules(api, [dataclasses.replace(schedule, every_seconds=3600)])
    stop_queues = start_queue_sources(api, template.queue_sources(), tables)
    try:
        assert client.get("/v1/openapi.json").status_code == 200
        deadline = time.monotonic() + 120  # a generous bound on a shared machine, not a timing assertion
        while rollups.get_watermark("timer-org") is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert rollups.get_watermark("timer-org") is not None
    finally:
        stop_schedules.set()
        stop_queues.set()


def test_the_rollups_log_line_is_its_own_not_the_last_requests(tables, local_api):
    """Functions share one Logger in the local API's process: each invocation starts from a clean state."""
    admin.create_organization("acme-org", None, datetime.now(UTC) - timedelta(hours=1))
    assert Client(local_api).get("/v1/nothing-here").status_code == 404  # leaves an API Gateway correlation id
    worker = next(source for source in Template().queue_sources() if source.function_id == "RollupFunction")
    output = io.StringIO()
    captured = logging.StreamHandler(output)
    captured.setFormatter(logger.registered_formatter)
    logger.addHandler(captured)
    logger.setLevel("INFO")  # the suite logs warnings only
    try:
        local_api.invoke(worker, json.loads(ROLLUP_DUE.read_text()))
    finally:
        logger.setLevel("WARNING")
        logger.removeHandler(captured)
    lines = [json.loads(line) for line in output.getvalue().splitlines()]
    finished = next(line for line in lines if line.get("message") == "Rollup finished")
    assert finished["function_name"] == "RollupFunction" and "correlation_id" not in finished
    assert finished["org_slug"] == "acme-org"
