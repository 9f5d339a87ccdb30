"""Environment variables, parsed once into a model."""

from __future__ import annotations

import functools
import os

from pydantic import BaseModel, Field


class Settings(BaseModel):
    table_name: str = Field(validation_alias="KEYTALLY_TABLE", default="KeytallyTable")
    events_table: str = Field(validation_alias="KEYTALLY_EVENTS_TABLE", default="RawEventsTable")
    hourly_table: str = Field(validation_alias="KEYTALLY_HOURLY_TABLE", default="HourlyRollupsTable")
    daily_table: str = Field(validation_alias="KEYTALLY_DAILY_TABLE", default="DailyRollupsTable")
    monthly_table: str = Field(validation_alias="KEYTALLY_MONTHLY_TABLE", default="MonthlyRollupsTable")
    max_body_bytes: int = Field(validation_alias="KEYTALLY_MAX_BODY_BYTES", default=1024 * 1024, ge=1)


@functools.cache
def get_settings() -> Settings:
    return Settings.model_validate(dict(os.environ))
