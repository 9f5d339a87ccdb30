"""Each verification outcome's counter as the analytics responses spell it (Unkey's getVerifications), in the seed's
field order. Kept apart from the response models, so organization metrics need not load them."""

from __future__ import annotations

from keytally.models import Code

OUTCOME_FIELDS = {
    Code.VALID: "valid",
    Code.NOT_FOUND: "notFound",
    Code.FORBIDDEN: "forbidden",
    Code.USAGE_EXCEEDED: "usageExceeded",
    Code.RATE_LIMITED: "rateLimited",
    Code.UNAUTHORIZED: "unauthorized",
    Code.DISABLED: "disabled",
    Code.INSUFFICIENT_PERMISSIONS: "insufficientPermissions",
    Code.EXPIRED: "expired",
}
