"""Unkey's ratelimits.limit (v1) and ratelimit.limit (v2): standalone rate limiting (keytally/ratelimits), with a
keytally key holding keys:verify as the root key.

v1's `namespace` defaults to `default`; `async` is accepted (keytally's count is always exact); v1's `meta` and
`resources` (Unkey's audit context) are refused, never ignored. Overrides are not implemented: the limit asked is
the limit applied.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from keytally.auth.principal import Principal
from keytally.ratelimits import service
from keytally.ratelimits.service import Limited
from keytally.unkey.responses import REFUSED

NAMESPACE = r"^[a-zA-Z0-9_.\-]+$"


class _Limit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    namespace: str = Field(min_length=1, max_length=50, pattern=NAMESPACE)
    identifier: str = Field(min_length=1, max_length=255)
    limit: StrictInt = Field(ge=1, le=10**9, description="What the window holds.")
    duration: StrictInt = Field(ge=1000, le=30 * 86_400_000, description="The window, in milliseconds.")
    cost: StrictInt = Field(1, ge=0, le=10**9, description="What this request counts (0: only check).")

    def apply(self, principal: Principal, now: datetime) -> Limited:
        return service.limit(principal, self.namespace, self.identifier, self.limit, self.duration, self.cost, now)


class V1Limit(_Limit):
    namespace: str = Field("default", min_length=1, max_length=50, pattern=NAMESPACE)
    async_: StrictBool | None = Field(None, alias="async", description="Accepted: keytally always counts exactly.")
    meta: None = Field(None, description=REFUSED)
    resources: None = Field(None, description=REFUSED)


class V2Limit(_Limit):
    pass


class LimitAnswer(BaseModel):
    """Both versions' answer (v2's inside `data`)."""

    success: bool
    limit: int
    remaining: int
    reset: int = Field(description="Unix milliseconds when the window ends.")

    @classmethod
    def of(cls, limited: Limited) -> LimitAnswer:
        return cls(**limited._asdict())
