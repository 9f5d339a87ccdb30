"""Query parameters that every analytics route takes alike."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from keytally.analytics.query import LATEST, LATEST_MS

UnixMs = Annotated[int | None, Query(ge=0, le=LATEST_MS, description=f"Unix milliseconds, until {LATEST:%Y-%m-%d}.")]
