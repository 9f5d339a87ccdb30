"""Creating and listing an organization's APIs."""

from __future__ import annotations

from datetime import datetime

from keytally.access import organization_for
from keytally.apis.models import CreateApi
from keytally.auth import secrets
from keytally.auth.principal import Principal
from keytally.models import ApiRecord, Scope
from keytally.storage import apis


def create_api(principal: Principal | None, request: CreateApi, now: datetime) -> ApiRecord:
    """`principal` None is an operator (keytally.admin), who names an existing organization. Not idempotent: a
    retry makes a second API."""
    if principal is None:
        org_slug = request.organizationSlug or ""
    else:
        org_slug = organization_for(principal, request.organizationSlug, Scope.KEYS_WRITE)
    api = ApiRecord(api_id=secrets.new_id("api_"), org_slug=org_slug, name=request.name, created_time=now)
    apis.create_api(api)
    return api


def list_apis(principal: Principal, org_slug: str | None) -> list[ApiRecord]:
    return apis.list_apis(organization_for(principal, org_slug, Scope.KEYS_READ))
