"""The local API runs template.yaml's schedules: the rollup on its rate, with its input, beside the HTTP routes."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import time
from datetime import UTC, datetime, timedelta

from werkzeug.test import Client

from devtools.local_api import LocalApi, start_schedules
from devtools.template import Template
from keytally import admin
from keytally.observability import logger
from keytally.storage import rollups


def test_the_template_schedules_the_rollup_every_five_minutes_with_its_input():
    (schedule,) = Template().schedules()
    assert (schedule.function_id, schedule.handler) == ("RollupFunction", "rollup.handler.lambda_handler")
    assert schedule.every_seconds == 300
    assert schedule.input == {"source": "keytally.schedule", "action": "rollup"}


def test_a_schedule_runs_at_start_and_the_api_answers_meanwhile(tables, client):
    admin.create_organization("timer-org", None, datetime.now(UTC) - timedelta(hours=3))
    (schedule,) = Template().schedules()
    stop = start_schedules(LocalApi(Template()), [dataclasses.replace(schedule, every_seconds=3600)])
    try:
        assert client.get("/v1/openapi.json").status_code == 200
        deadline = time.monotonic() + 120  # a generous bound on a shared machine, not a timing assertion
        while rollups.get_watermark("timer-org") is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert rollups.get_watermark("timer-org") is not None
    finally:
        stop.set()


def test_the_rollups_log_line_is_its_own_not_the_last_requests(tables, local_api):
    """Functions share one Logger in the local API's process: each invocation starts from a clean state."""
    assert Client(local_api).get("/v1/nothing-here").status_code == 404  # leaves an API Gateway correlation id
    (schedule,) = Template().schedules()
    output = io.StringIO()
    captured = logging.StreamHandler(output)
    captured.setFormatter(logger.registered_formatter)
    logger.addHandler(captured)
    logger.setLevel("INFO")  # the suite logs warnings only
    try:
        local_api.invoke(schedule, schedule.input)
    finally:
        logger.setLevel("WARNING")
        logger.removeHandler(captured)
    lines = [json.loads(line) for line in output.getvalue().splitlines()]
    finished = next(line for line in lines if line.get("message") == "Rollup finished")
    assert finished["function_name"] == "RollupFunction" and "correlation_id" not in finished
