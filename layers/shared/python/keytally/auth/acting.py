"""The organization a request acts in: the one it names, else the credential's own, if the caller may act there."""

from __future__ import annotations

from keytally import request_scope
from keytally.auth.principal import Principal
from keytally.auth.scopes import Scope
from keytally.errors import NotFound, Unprocessable
from keytally.storage import accounts


def organization_for(principal: Principal, org_slug: str | None, scope: Scope) -> str:
    slug = org_slug or principal.org_slug
    if slug is None:
        raise Unprocessable("organizationSlug: required for credentials not bound to one organization")
    request_scope.note_organization(slug)
    principal.require(slug, scope)
    # an organization's own key proves its organization exists (organizations are never deleted)
    if slug != principal.org_slug and accounts.get_organization(slug) is None:
        raise NotFound(f"Organization '{slug}' does not exist.")
    return slug
