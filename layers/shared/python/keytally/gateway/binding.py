"""A gateway's binding, as its stack writes it: the keytally API its clients' keys are verified in, the header they
carry them in, and what each route asks of a key (a permission query, a cost in credits). A binding that does not
parse binds nothing."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator

from keytally.observability import logger
from keytally.storage import gateway_bindings
from keytally.verify.permission_query import NOTHING, PermissionQuery, parse

HeaderName = Annotated[str, Field(pattern=r"^[a-z0-9!#$%&'*+.^_`|~-]{1,128}$", description="In lower case.")]


class RouteRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    permissions: str | None = Field(
        None, max_length=1000, description="Unkey's permission query: `orders.read AND (orders.write OR admin)`."
    )
    cost: StrictInt = Field(1, ge=0, le=10**9, description="Credits a valid call spends.")

    @field_validator("permissions")
    @classmethod
    def _parses(cls, text: str | None) -> str | None:
        if text is not None:
            parse(text)  # a ValueError naming where it fails
        return text

    def query(self) -> PermissionQuery:
        return parse(self.permissions) if self.permissions else NOTHING


ANY_KEY = RouteRule()


class GatewayBinding(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    apiId: str = Field(min_length=1, max_length=50, description="The keytally API whose keys may call the gateway.")
    keyHeader: HeaderName | None = Field(
        None, description="The one header keys travel in; default `Authorization` (Bearer or bare), else `X-API-Key`."
    )
    routes: dict[Annotated[str, Field(min_length=1, max_length=600)], RouteRule] = Field(
        {}, max_length=300, description="By route key (`GET /orders/{id}`, `$default`); a route not named: any key."
    )

    def rule_for(self, route_key: str) -> RouteRule:
        return self.routes.get(route_key, ANY_KEY)


def binding_of(gateway_api_id: str) -> GatewayBinding | None:
    """The gateway's binding; None (logged) when it has none, or one that does not parse."""
    parameter = gateway_bindings.parameter_name(gateway_api_id)
    stored = gateway_bindings.get_binding(gateway_api_id)
    if stored is None:
        logger.error("The gateway has no binding (or one that is not JSON)", extra={"parameter": parameter})
        return None
    try:
        return GatewayBinding.model_validate(stored)
    except ValidationError as error:
        logger.error("The gateway's binding does not parse", extra={"parameter": parameter, "errors": str(error)})
        return None
