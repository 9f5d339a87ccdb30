"""Parameters and datapoints of GET /v1/analytics/verifications, spelled as Unkey's getVerifications."""

from __future__ import annotations

import enum
from typing import Any

from pydantic import BaseModel, Field, GetJsonSchemaHandler, SerializerFunctionWrapHandler, model_serializer
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from keytally.analytics.outcome_fields import OUTCOME_FIELDS
from keytally.models import Identity

ORDERABLE = ("time", *OUTCOME_FIELDS.values(), "total")


class GroupBy(str, enum.Enum):
    HOUR = "hour"
    DAY = "day"
    MONTH = "month"
    KEY = "key"
    IDENTITY = "identity"
    TAG = "tag"
    TAGS = "tags"


# Groupings that exclude each other: verifications_window refuses them, the OpenAPI document states it
EXCLUSIVE_GROUPINGS = (
    (GroupBy.TAG, GroupBy.TAGS),
    (GroupBy.HOUR, GroupBy.DAY),
    (GroupBy.HOUR, GroupBy.MONTH),
    (GroupBy.DAY, GroupBy.MONTH),
)
GROUP_BY_SCHEMA: dict[str, Any] = {
    "not": {
        "type": "array",
        "anyOf": [
            {"allOf": [{"contains": {"const": one.value}}, {"contains": {"const": other.value}}]}
            for one, other in EXCLUSIVE_GROUPINGS
        ],
    }
}

# mypy reads the members of a functional Enum only from a literal; these come from OUTCOME_FIELDS so they cannot drift
OrderBy = enum.Enum("OrderBy", {name: name for name in ORDERABLE}, type=str)  # type: ignore[misc]


class Order(str, enum.Enum):
    ASC = "asc"
    DESC = "desc"


class Datapoint(BaseModel):
    """One time slice (and group). `keyId`, `identity`, `tag` and `tags` appear only when grouped by them."""

    time: int = Field(
        description="Start of the time slice (the range cuts the first one: it starts with the range), or of the "
        "range when not grouped by time; unix ms."
    )
    valid: int = Field(0, ge=0)
    notFound: int = Field(0, ge=0)
    forbidden: int = Field(0, ge=0)
    usageExceeded: int = Field(0, ge=0)
    rateLimited: int = Field(0, ge=0)
    unauthorized: int = Field(0, ge=0)
    disabled: int = Field(0, ge=0)
    insufficientPermissions: int = Field(0, ge=0)
    expired: int = Field(0, ge=0)
    total: int = Field(0, ge=0, description="All verifications of the datapoint, every outcome.")
    tag: str | None = Field(None, description="With groupBy=tag: the tag.")
    tags: list[str] | None = Field(None, description="With groupBy=tags: the tag set, sorted.")
    keyId: str | None = Field(None, description="With groupBy=key: the key (null for keys that were not found).")
    identity: Identity | None = Field(None, description="With groupBy=identity: the keys' identity, if any.")
    maxUndercount: int | None = Field(
        None,
        ge=1,
        description="Grouped by key or by identity, past a few hundred of them an hour: the datapoint's true counts "
        "may exceed its counts by up to this many verifications (absent: exact).",
    )
    other: bool | None = Field(
        None,
        description="Grouped by key or by identity, past a few hundred of them an hour: true on the datapoint that "
        "counts the keys (identities) the others leave out, with no keyId (identity).",
    )

    @model_serializer(mode="wrap")
    def _only_grouped_fields(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for name in ("tag", "tags", "keyId", "identity", "maxUndercount", "other"):
            if name not in self.model_fields_set:
                data.pop(name, None)
        return data

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        """The fields' own schema (the serializer above only drops fields), with what is always there required."""
        fields_schema = handler.resolve_ref_schema(
            handler({key: value for key, value in core_schema.items() if key != "serialization"})
        )
        fields_schema["required"] = ["time", *OUTCOME_FIELDS.values(), "total"]
        return fields_schema
