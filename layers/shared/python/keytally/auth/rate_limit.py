"""keytally's own hourly rate limits (the X-RateLimit-* headers): budgets, windows and quotas. Product keys'
Unkey `ratelimit` is another thing: see keytally.verify.counters."""

from __future__ import annotations

import enum
import math
from datetime import datetime, timedelta
from typing import NamedTuple

from keytally.models import Scope

WINDOW = timedelta(hours=1)
DEFAULT_LIMIT = 5000
MAX_LIMIT = 10000
# An hour of 1,000 verifications a second, counted by each container and written to the shared counter in batches
# (auth/tally.py), so the counter item's own write rate does not bound it
VERIFICATION_LIMIT = 3_600_000
# Refused credentials (401) an address may send an hour before it is told to wait (429): room for every mistyped
# key, none for guessing them
REFUSED_LIMIT = 1000


class Budget(str, enum.Enum):
    """Which hourly budget a call spends: management and analytics calls the key's own `rate_limit`;
    verifications (the product's hot path, `keys:verify`) their own, sized for production traffic."""

    MANAGEMENT = "management"
    VERIFICATION = "verification"
    REFUSED = "refused"  # credentials refused, per source address

    @classmethod
    def of_scope(cls, scope: Scope | None) -> Budget:
        return cls.VERIFICATION if scope is Scope.KEYS_VERIFY else cls.MANAGEMENT

    def limit(self, rate_limit: int) -> int:
        """The calls allowed per hour for a key whose `rate_limit` is given."""
        return {Budget.VERIFICATION: VERIFICATION_LIMIT, Budget.REFUSED: REFUSED_LIMIT}.get(self, rate_limit)


class Window(NamedTuple):
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


class Quota(NamedTuple):
    limit: int
    remaining: int

    def headers(self) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining)}
