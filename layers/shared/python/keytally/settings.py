"""Environment variables, parsed once into a model."""

from __future__ import annotations

import functools
import os

from pydantic import BaseModel, Field


class Settings(BaseModel):
    table_name: str = Field(validation_alias="KEYTALLY_TABLE", default="KeytallyTable")
    max_body_bytes: int = Field(validation_alias="KEYTALLY_MAX_BODY_BYTES", default=1024 * 1024, ge=1)


@functools.cache
def get_settings() -> Settings:
    return Settings.model_validate(dict(os.environ))
