"""keytally's own hourly rate limit (a key's `rate_limit`, the X-RateLimit-* headers): windows and quotas.
Product keys' Unkey `ratelimit` is another thing: see keytally.verify.counters."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(hours=1)
DEFAULT_LIMIT = 5000
MAX_LIMIT = 10000


@dataclass(frozen=True)
class Window:
    start: datetime

    @classmethod
    def containing(cls, now: datetime) -> Window:
        return cls(now.replace(minute=0, second=0, microsecond=0))

    @property
    def label(self) -> str:
        return self.start.strftime("%Y%m%d%H")

    @property
    def end(self) -> datetime:
        return self.start + WINDOW

    def seconds_left(self, now: datetime) -> int:
        return max(1, math.ceil((self.end - now).total_seconds()))

    def expires_epoch(self) -> int:
        """Counters are kept one window past their end, then DynamoDB's TTL removes them."""
        return int((self.end + WINDOW).timestamp())


@dataclass(frozen=True)
class Quota:
    limit: int
    remaining: int

    def headers(self) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining)}
