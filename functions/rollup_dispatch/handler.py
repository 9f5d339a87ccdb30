"""The rollup dispatcher: run by EventBridge Scheduler every minute; sends one message per organization with rollup
work due to the rollup queue, for the rollup worker."""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.utilities.typing import LambdaContext

from keytally.observability import logger, metrics
from keytally.rollup import dispatch
from keytally.settings import get_settings

get_settings()  # a function missing a variable fails at cold start, not on its first run


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    report = dispatch(datetime.now(UTC))
    metrics.add_metric(name="RollupsDispatched", unit="Count", value=report.organizations)
    logger.info(
        "Rollups dispatched",
        extra={"trigger": event.get("source"), "organizations": report.organizations, "to": report.end.isoformat()},
    )
    return {"organizations": report.organizations, "from": report.start.isoformat(), "to": report.end.isoformat()}
