"""The rollup worker: rolls up one organization per message of the rollup queue (SQS FIFO, grouped by
organization), and notes its Prometheus counters for GET /v1/metrics/all. A run that fails is reported (partial
batch response) and its message delivered again later; after five tries it waits in the dead-letter queue, which
alarms."""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from keytally.analytics.prometheus import summarize
from keytally.observability import logger, metrics
from keytally.rollup import roll_up_named
from keytally.settings import get_settings
from keytally.storage.rollup_queue import message_of

get_settings()  # a function missing a variable fails at cold start, not on its first run
processor = SqsFifoPartialProcessor()


def roll_up(record: SQSRecord) -> int:
    """Rolls the organization up, then notes its counters for GET /v1/metrics/all."""
    due, now = message_of(record.body), datetime.now(UTC)
    report = roll_up_named(due.org_slug, now)
    if report:
        summarize(due.org_slug, now)
    events_read = report.events_read if report else 0
    metrics.add_metric(name="RollupEventsRead", unit="Count", value=events_read)
    logger.info(
        "Rollup finished",
        extra={
            "org_slug": due.org_slug,
            "due": due.due.isoformat(),
            "events_read": events_read,
            "watermark": report.watermark.isoformat() if report and report.watermark else None,
        },
    )
    return events_read


@logger.inject_lambda_context(clear_state=True)  # no key of an earlier invocation carries over
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=roll_up, processor=processor, context=context)
