"""Environment variables, parsed once into a model.

In Lambda (AWS_LAMBDA_FUNCTION_NAME is set) every variable without a default is required, so a function deployed
without one fails at cold start naming it. Only local runs (tests, the CLI, the local API) fall back to the
template's logical ids, which are the local table, secret and queue names (a FIFO queue's with `.fifo`), and to a
patient store timeout.
"""

from __future__ import annotations

import functools
import os

from pydantic import BaseModel, Field

LOCAL_DEFAULTS = {
    "KEYTALLY_TABLE": "KeytallyTable",
    "KEYTALLY_EVENTS_TABLE": "RawEventsTable",
    "KEYTALLY_FIVE_MINUTE_TABLE": "FiveMinuteRollupsTable",
    "KEYTALLY_HOURLY_TABLE": "HourlyRollupsTable",
    "KEYTALLY_DAILY_TABLE": "DailyRollupsTable",
    "KEYTALLY_MONTHLY_TABLE": "MonthlyRollupsTable",
    "KEYTALLY_PAT_SECRET": "PatSigningSecret",
    "KEYTALLY_SPILL_QUEUE": "EventSpillQueue",
    "KEYTALLY_ROLLUP_QUEUE": "RollupQueue.fifo",
    "KEYTALLY_GATEWAY_PARAMETERS": "/keytally/gateways/",
}
LOCAL_STORE_TIMEOUT = "30"  # seconds: moto answers a big Query in seconds where DynamoDB takes milliseconds


class Settings(BaseModel):
    table_name: str = Field(validation_alias="KEYTALLY_TABLE", min_length=1)
    events_table: str = Field(validation_alias="KEYTALLY_EVENTS_TABLE", min_length=1)
    five_minute_table: str = Field(validation_alias="KEYTALLY_FIVE_MINUTE_TABLE", min_length=1)
    hourly_table: str = Field(validation_alias="KEYTALLY_HOURLY_TABLE", min_length=1)
    daily_table: str = Field(validation_alias="KEYTALLY_DAILY_TABLE", min_length=1)
    monthly_table: str = Field(validation_alias="KEYTALLY_MONTHLY_TABLE", min_length=1)
    pat_secret: str = Field(validation_alias="KEYTALLY_PAT_SECRET", min_length=1)  # the secret's name or ARN
    spill_queue: str = Field(validation_alias="KEYTALLY_SPILL_QUEUE", min_length=1)  # the queue's URL or name
    rollup_queue: str = Field(validation_alias="KEYTALLY_ROLLUP_QUEUE", min_length=1)  # the queue's URL or name
    # the SSM path under which each API Gateway API's binding to a keytally API is stored (storage/gateway_bindings.py)
    gateway_parameters: str = Field(validation_alias="KEYTALLY_GATEWAY_PARAMETERS", min_length=1)
    max_body_bytes: int = Field(validation_alias="KEYTALLY_MAX_BODY_BYTES", default=1024 * 1024, ge=1)
    # seconds an AWS request may go unanswered before it is given up (storage/aws_config.py)
    store_timeout: float = Field(validation_alias="KEYTALLY_STORE_TIMEOUT", default=2.0, gt=0, le=60)


def in_lambda() -> bool:
    return "AWS_LAMBDA_FUNCTION_NAME" in os.environ


@functools.cache
def get_settings() -> Settings:
    """Raises pydantic's ValidationError, naming each missing variable, when run in Lambda without them."""
    local = LOCAL_DEFAULTS | {"KEYTALLY_STORE_TIMEOUT": LOCAL_STORE_TIMEOUT}
    variables = dict(os.environ) if in_lambda() else local | dict(os.environ)
    return Settings.model_validate(variables)
