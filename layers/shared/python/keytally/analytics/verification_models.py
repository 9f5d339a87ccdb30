"""Parameters and datapoints of GET /v1/analytics/verifications, spelled as Unkey's getVerifications."""

from __future__ import annotations

import enum
from typing import Any

from pydantic import BaseModel, SerializerFunctionWrapHandler, model_serializer

from keytally.models import Code, Identity

# Each outcome's counter, in the seed's field order.
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
ORDERABLE = ("time", *OUTCOME_FIELDS.values(), "total")


class GroupBy(str, enum.Enum):
    HOUR = "hour"
    DAY = "day"
    MONTH = "month"
    KEY = "key"
    IDENTITY = "identity"
    TAG = "tag"
    TAGS = "tags"


# mypy reads the members of a functional Enum only from a literal; these come from OUTCOME_FIELDS so they cannot drift
OrderBy = enum.Enum("OrderBy", {name: name for name in ORDERABLE}, type=str)  # type: ignore[misc]


class Order(str, enum.Enum):
    ASC = "asc"
    DESC = "desc"


class Datapoint(BaseModel):
    """One time slice (and group). `keyId`, `identity`, `tag` and `tags` appear only when grouped by them."""

    time: int
    valid: int = 0
    notFound: int = 0
    forbidden: int = 0
    usageExceeded: int = 0
    rateLimited: int = 0
    unauthorized: int = 0
    disabled: int = 0
    insufficientPermissions: int = 0
    expired: int = 0
    total: int = 0
    tag: str | None = None
    tags: list[str] | None = None
    keyId: str | None = None
    identity: Identity | None = None

    @model_serializer(mode="wrap")
    def _only_grouped_fields(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for name in ("tag", "tags", "keyId", "identity"):
            if name not in self.model_fields_set:
                data.pop(name, None)
        return data
