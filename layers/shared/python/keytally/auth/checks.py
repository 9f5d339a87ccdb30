"""Checks on a credential's own state: enabled, not expired, not revoked, used from an allowed address."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import datetime

from keytally.errors import Forbidden, Unauthorized
from keytally.models import KeyRecord


def require_usable(record: KeyRecord, now: datetime) -> None:
    if record.revoked_at is not None:
        raise Unauthorized("The API key has been revoked.")
    if not record.is_enabled:
        raise Unauthorized("The API key is disabled.")
    if record.expires_at is not None and record.expires_at <= now:
        raise Unauthorized("The API key has expired.")


def ip_allowed(source_ip: str, allow_ips: Iterable[str]) -> bool:
    """Empty allow-list means any address; otherwise the address must fall in one of the networks."""
    networks = [ipaddress.ip_network(cidr, strict=False) for cidr in allow_ips]
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(source_ip)
    except ValueError:
        return False
    candidates = {address}
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        candidates.add(address.ipv4_mapped)  # ::ffff:a.b.c.d also matches IPv4 networks
    return any(candidate in network for candidate in candidates for network in networks)


def require_allowed_ip(source_ip: str, allow_ips: Iterable[str]) -> None:
    if not ip_allowed(source_ip, allow_ips):
        raise Forbidden("The API key may not be used from this IP address.")
