"""Creating and listing an organization's APIs."""

from __future__ import annotations

from datetime import datetime

from keytally.access import organization_for
from keytally.apis.models import CreateApi
from keytally.auth import secrets
from keytally.auth.principal import Principal
from keytally.models import ApiRecord, Scope
from keytally.storage import apis


def create_api(principal: Principal, request: CreateApi, now: datetime) -> ApiRecord:
    """Not idempotent: a retry makes a second API."""
    return new_api(organization_for(principal, request.organizationSlug, Scope.KEYS_WRITE), request.name, now)


def new_api(org_slug: str, name: str, now: datetime) -> ApiRecord:
    """Stores a new API in an existing organization. Authorization is the caller's business (create_api, or an
    operator: keytally.admin)."""
    api = ApiRecord(api_id=secrets.new_id("api_"), org_slug=org_slug, name=name, created_time=now)
    apis.create_api(api)
    return api


def list_apis(principal: Principal, org_slug: str | None) -> list[ApiRecord]:
    return apis.list_apis(organization_for(principal, org_slug, Scope.KEYS_READ))
