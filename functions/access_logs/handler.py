"""The access log function: a protected gateway's API Gateway access logs, delivered by a CloudWatch Logs
subscription filter (gzip and base64, thousands of log events at a time), stored as request events
(keytally.gateway.access_logs). Lambda invokes it asynchronously; a delivery that raises is invoked again (twice),
then kept in the dead-letter queue, and stores nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.utilities.data_classes import CloudWatchLogsEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from keytally.gateway import access_logs
from keytally.observability import logger, metrics
from keytally.settings import get_settings

get_settings()  # a function missing a variable fails at cold start, not on its first delivery


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@event_source(data_class=CloudWatchLogsEvent)
def lambda_handler(event: CloudWatchLogsEvent, context: LambdaContext) -> dict:
    data = event.parse_logs_data()
    if data.message_type != "DATA_MESSAGE":  # CloudWatch Logs' check that the destination is reachable
        return {"accepted": 0, "duplicates": 0, "skipped": {}}
    delivered = access_logs.ingest([log_event.message for log_event in data.log_events], datetime.now(UTC))
    logger.info(
        "Access logs stored",
        extra={"log_group": data.log_group, "accepted": delivered.accepted, "duplicates": delivered.duplicates},
    )
    return {"accepted": delivered.accepted, "duplicates": delivered.duplicates, "skipped": dict(delivered.skipped)}
