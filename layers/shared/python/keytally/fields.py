"""Field types that several request models share: ids, organization slugs, analytics tags, client IP addresses,
instants."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field


def _address(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError as error:
        raise ValueError(f"'{value}' is not an IPv4/IPv6 address") from error


EARLIEST_INSTANT = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(9999, 12, 30, tzinfo=UTC)  # a day short of datetime's end: any zone converts to UTC


def _instant(value: datetime) -> datetime:
    if not EARLIEST_INSTANT <= value <= LATEST_INSTANT:
        raise ValueError(f"must be from {EARLIEST_INSTANT:%Y-%m-%d} to {LATEST_INSTANT:%Y-%m-%d} (UTC)")
    return value


_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(\.{_OCTET}){{3}}"
_HEX = r"[0-9a-fA-F]{1,4}"
_IPV6 = "|".join(
    (
        rf"({_HEX}:){{7}}{_HEX}",
        rf"({_HEX}:){{1,7}}:",
        *(rf"({_HEX}:){{1,{7 - n}}}(:{_HEX}){{1,{n}}}" for n in range(1, 7)),
        rf":((:{_HEX}){{1,7}}|:)",
        rf"::ffff:{_IPV4}",
    )
)
# For the OpenAPI document: addresses (and networks) in their usual spellings, every one of which the server takes
IP_ADDRESS_PATTERN = rf"^({_IPV4}|{_IPV6})$"
NETWORK_PATTERN = rf"^({_IPV4}(/(3[0-2]|[12]?[0-9]))?|({_IPV6})(/(12[0-8]|1[01][0-9]|[1-9]?[0-9]))?)$"
ID_PATTERN = r"^[A-Za-z0-9_-]+$"
Slug = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Tag = Annotated[str, Field(min_length=1, max_length=128)]
IpAddress = Annotated[
    str, Field(max_length=64, json_schema_extra={"pattern": IP_ADDRESS_PATTERN}), AfterValidator(_address)
]  # stored in canonical form
Instant = Annotated[
    AwareDatetime,
    AfterValidator(_instant),
    Field(description="ISO 8601 with a zone, from 1970-01-01 to 9999-12-30 UTC."),
]  # one every table can store
