"""The bench's steady traffic: one organization's request and verification events, second by second, at a shape —
how many keys, endpoints, client IPs and identities it has, how many events a second, and how skewed their values
are (a few heavy values and a long tail, or every value alike).

The shapes of the cost work: the demo's; (b) 100 keys, 40 endpoints, 2,000 client IPs, 0.2 verifications and 0.8
ingested requests a second; (c) a million keys, 100,000 client IPs, 10,000 endpoints and 100,000 identities, half
of the events on ten heavy values of each. All three at (b)'s rate, so that they differ in shape alone (what a read
takes of the raw events not yet rolled up grows with the rate: five minutes of them).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from keytally.models import Code, RequestSource
from keytally.timeseries.records import Event
from keytally.usage.events import request_event, verification_event

HEAVY = 10  # the heavy values of a skewed shape


@dataclass(frozen=True)
class Shape:
    name: str
    keys: int
    endpoints: int
    client_ips: int
    identities: int
    requests_per_second: float
    verifications_per_second: float
    heavy_share: float = 0.0  # of the events, those on the HEAVY heaviest values of each dimension

    def pick(self, rng: random.Random, values: int) -> int:
        if rng.random() < self.heavy_share:
            return rng.randrange(min(HEAVY, values))
        return rng.randrange(values)

    @property
    def events_per_second(self) -> float:
        return self.requests_per_second + self.verifications_per_second


DEMO = Shape("demo", 20, 30, 500, 20, 0.8, 0.2)
B = Shape("(b)", 100, 40, 2_000, 30, 0.8, 0.2)
C = Shape("(c)", 1_000_000, 10_000, 100_000, 100_000, 0.8, 0.2, heavy_share=0.5)


def events(shape: Shape, org_slug: str, api_id: str, start: datetime, seconds: int, seed: int = 5) -> list[Event]:
    """Each second from `start`: a request with probability requests_per_second (whole events first, so rates above
    one a second make several), and so for verifications; values drawn per the shape, a key's identity its own."""
    rng = random.Random(seed)
    made: list[Event] = []
    for second in range(seconds):
        moment = start + timedelta(seconds=second)
        for index in range(_count(rng, shape.requests_per_second)):
            made.append(request(rng, shape, org_slug, moment, f"r{second}.{index}", shape.pick(rng, shape.keys)))
        for index in range(_count(rng, shape.verifications_per_second)):
            key = shape.pick(rng, shape.keys)
            code = rng.choice((Code.VALID, Code.VALID, Code.RATE_LIMITED))
            made.append(verification(rng, shape, org_slug, api_id, moment, f"v{second}.{index}", key, code))
    return made


def request(rng: random.Random, shape: Shape, org_slug: str, moment: datetime, event_id: str, key: int) -> Event:
    """An ingested request of key `key` at `moment`, from an endpoint and a client IP drawn per the shape."""
    ip = shape.pick(rng, shape.client_ips)
    return request_event(
        source=RequestSource.INGESTED,
        event_id=event_id,
        org_slug=org_slug,
        time=moment,
        received_at=moment,
        key_id=f"ak_{key:07d}",
        endpoint=f"/v1/resource{shape.pick(rng, shape.endpoints):05d}",
        method="GET",
        status=rng.choice((200, 200, 200, 404, 500)),
        ip=f"10.{ip // 62_500}.{ip // 250 % 250}.{ip % 250}",
        latency_ms=round(rng.lognormvariate(4, 1), 3),
    )


def verification(
    rng: random.Random, shape: Shape, org_slug: str, api_id: str, moment: datetime, event_id: str, key: int, code: Code
) -> Event:
    """A verification of key `key` at `moment`; the key's identity is its own (its external_id)."""
    return verification_event(
        event_id=event_id,
        org_slug=org_slug,
        time=moment,
        received_at=moment,
        api_id=api_id,
        key_id=f"ak_{key:07d}",
        identity=f"cust_{key % shape.identities}",
        code=code,
        tags=(),
        credits=1,
        latency_ms=2.0,
    )


def _count(rng: random.Random, rate: float) -> int:
    whole = int(rate)
    return whole + (rng.random() < rate - whole)
