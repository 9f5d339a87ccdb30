"""Field types that several request models share: ids, organization slugs, analytics tags, client IP addresses."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import AfterValidator, Field


def _address(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError as error:
        raise ValueError(f"'{value}' is not an IPv4/IPv6 address") from error


ID_PATTERN = r"^[A-Za-z0-9_-]+$"
Slug = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Tag = Annotated[str, Field(min_length=1, max_length=128)]
IpAddress = Annotated[str, Field(max_length=64), AfterValidator(_address)]  # stored in canonical form
