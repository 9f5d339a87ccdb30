"""The event drain function: stores the usage events the API spilled to the SQS queue while the raw events table
was busy. SQS delivers batches of messages; a message that fails is reported alone (partial batch response) and
delivered again later, the others are done."""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from keytally.observability import logger, metrics
from keytally.settings import get_settings
from keytally.usage import drain

get_settings()  # a function missing a variable fails at cold start, not on its first run
processor = BatchProcessor(event_type=EventType.SQS)


def store_message(record: SQSRecord) -> int:
    return drain.store_message(record.body, datetime.now(UTC))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=store_message, processor=processor, context=context)
