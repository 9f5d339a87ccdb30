"""The local API runs template.yaml's schedules: the rollup on its rate, with its input, beside the HTTP routes."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta

from devtools.local_api import LocalApi, start_schedules
from devtools.template import Template
from keytally import admin
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
