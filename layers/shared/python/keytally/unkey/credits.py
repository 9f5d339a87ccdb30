"""Unkey's keys.updateRemaining (v1) and keys.updateCredits (v2): a key's credits set, raised or lowered.

`set` is an update of the key (null: unlimited); `increment` and `decrement` change the balance exactly against
verifications spending it meanwhile (api_keys/credits.py). Unlike Unkey v1, a balance never goes below zero (v2's rule
on both). A key with unlimited credits cannot be raised or lowered: a 400 that says to set a balance.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from keytally.api_keys import service
from keytally.api_keys.models import Credits, UpdateApiKey
from keytally.auth.principal import Principal
from keytally.fields import ID_PATTERN
from keytally.models import KeyRecord
from keytally.unkey.keys import unkeys_key

VALUE = "For set, the balance (null: unlimited); for increment and decrement, the amount."


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keyId: str = Field(min_length=1, max_length=255, pattern=ID_PATTERN)
    value: Credits | None = Field(description=VALUE)

    def kind(self) -> str:
        raise NotImplementedError

    @model_validator(mode="after")
    def _amount_given(self) -> _Change:
        if self.kind() != "set" and self.value is None:
            raise ValueError(f"value: {self.kind()} needs an amount")
        return self

    def apply(self, principal: Principal, now: datetime) -> KeyRecord:
        if self.kind() == "set":
            return service.update_key(principal, self.keyId, UpdateApiKey(remaining=self.value), now, only=unkeys_key)
        amount = self.value or 0
        delta = amount if self.kind() == "increment" else -amount
        return service.change_credits(principal, self.keyId, delta, now, only=unkeys_key)


def _amount_rule(operation: str) -> dict[str, Any]:
    """The model validator's rule, for the OpenAPI document: an amount unless the operation is set."""
    return {
        "anyOf": [
            {"properties": {operation: {"const": "set"}}},
            {"required": ["value"], "properties": {"value": {"type": "integer"}}},
        ]
    }


class V1UpdateRemaining(_Change):
    model_config = ConfigDict(json_schema_extra=_amount_rule("op"))

    op: Literal["increment", "decrement", "set"]

    def kind(self) -> str:
        return self.op


class V2UpdateCredits(_Change):
    model_config = ConfigDict(json_schema_extra=_amount_rule("operation"))

    value: Credits | None = Field(None, description=VALUE)
    operation: Literal["increment", "decrement", "set"]

    def kind(self) -> str:
        return self.operation


class V1Remaining(BaseModel):
    remaining: int | None = Field(description="Null: unlimited.")
