"""The verification checks that need no counter, in Unkey's order."""

from __future__ import annotations

from datetime import datetime

from keytally.auth.checks import ip_allowed
from keytally.models import Code, KeyRecord
from keytally.verify.permission_query import PermissionQuery


def static_outcome(
    record: KeyRecord | None, api_id: str | None, ip: str, permissions: PermissionQuery, now: datetime
) -> Code | None:
    """The first failing check before the counters, or None when the key may go on to them.

    A key of another API (or another organization's) is UNAUTHORIZED before anything else about it is looked
    at, so nothing of its state is revealed to a caller it does not belong to.
    """
    if record is None or record.revoked_at is not None:
        return Code.NOT_FOUND
    if record.api_id != api_id:
        return Code.UNAUTHORIZED
    if not record.is_enabled:
        return Code.DISABLED
    if record.expires_at is not None and record.expires_at <= now:
        return Code.EXPIRED
    if record.allow_ips and not ip_allowed(ip, record.allow_ips):
        return Code.FORBIDDEN
    if not permissions.satisfied_by(record.permissions):
        return Code.INSUFFICIENT_PERMISSIONS
    return None
