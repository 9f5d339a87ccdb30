"""Which organization, or which API, a request acts in: authorized against the caller and noted in the request's
usage scope (its request event counts there). Every feature asks here before it touches an organization's data."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from keytally.auth.principal import Principal
from keytally.errors import Forbidden, NotFound, Unprocessable
from keytally.models import ApiRecord, Scope
from keytally.storage import accounts, apis
from keytally.storage.events import RAW_RETENTION
from keytally.usage import request_scope

_apis: dict[str, ApiRecord] = {}  # an API never moves to another organization, so a found one is kept


def organization_for(principal: Principal, org_slug: str | None, scope: Scope) -> str:
    """The organization the request names, else the credential's own, if the caller may use `scope` there. One it
    may not access is a 403 whether it exists or not; one it may access (staff: any name) is a 404 if it does not
    exist, and is noted as where the request acted (its request event counts there, a refusal for want of a scope
    too) — never a name that is no organization's."""
    slug = org_slug or principal.org_slug
    if slug is None:
        raise Unprocessable("organizationSlug: required for credentials not bound to one organization")
    if principal.may_access(slug):
        if slug != principal.org_slug:  # an organization's own key proves its organization exists
            organization_created(slug)
        request_scope.note_organization(slug)
    principal.require(slug, scope)
    return slug


def root_organization(principal: Principal, scope: Scope) -> str:
    """The one organization a request that names none acts in (Unkey's ratelimit and analytics by identity): the
    credential's own, or the one where a user's credential may use `scope`; a user in several must use an
    organization key (403)."""
    slug = principal.org_slug
    if slug is None:
        orgs = principal.member_orgs_with(scope)
        if len(orgs) != 1:
            raise Forbidden(
                "This credential acts in several organizations (or none) and the request names none: use an "
                "organization key."
            )
        slug = orgs[0]
    return organization_for(principal, slug, scope)


def api_for(principal: Principal, api_id: str, scope: Scope) -> ApiRecord:
    """The API, if the caller may use `scope` in its organization; another organization's is reported missing."""
    api = _apis.get(api_id) or apis.get_api(api_id)
    if api is None or not principal.may_access(api.org_slug):
        raise NotFound(f"API '{api_id}' does not exist.")
    _apis[api_id] = api
    request_scope.note_organization(api.org_slug)
    principal.require(api.org_slug, scope)
    return api


def bound_api(api_id: str) -> ApiRecord | None:
    """The API a gateway is bound to by its binding (storage/gateway_bindings.py), which only the deployment's own
    account can write: no caller credential is involved. None if no such API."""
    api = _apis.get(api_id) or apis.get_api(api_id)
    if api is not None:
        _apis[api_id] = api
    return api


@lru_cache(maxsize=10_000)  # organizations are never deleted nor recreated: a found one is kept
def organization_created(org_slug: str) -> datetime:
    """When the organization was created (nothing of it is older); NotFound if it does not exist."""
    organization = accounts.get_organization(org_slug)
    if organization is None:
        raise NotFound(f"Organization '{org_slug}' does not exist.")
    return organization.created_time


def organization_since(org_slug: str) -> datetime:
    """The oldest time an event of the organization can bear: its creation less the raw retention, as far back as
    the request logs it may send the moment it exists reach (POST /v1/events takes any time within the retention).
    Nothing of it is older; NotFound if it does not exist."""
    return organization_created(org_slug) - RAW_RETENTION
