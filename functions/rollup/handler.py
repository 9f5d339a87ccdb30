"""The rollup function: run by EventBridge Scheduler every 5 minutes (and by `keytally rollup` by hand)."""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.utilities.typing import LambdaContext

from keytally.observability import logger, metrics, tracer
from keytally.rollup import roll_up_all
from keytally.settings import get_settings

get_settings()  # a function missing a variable fails at cold start, not on its first run


@logger.inject_lambda_context(clear_state=True)  # no key of an earlier invocation carries over
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    reports = roll_up_all(datetime.now(UTC))
    events_read = sum(report.events_read for report in reports)
    metrics.add_metric(name="RollupEventsRead", unit="Count", value=events_read)
    logger.info(
        "Rollup finished",
        extra={"trigger": event.get("source"), "organizations": len(reports), "events_read": events_read},
    )
    return {
        "organizations": len(reports),
        "events_read": events_read,
        "watermarks": {report.org_slug: report.watermark.isoformat() for report in reports if report.watermark},
    }
