"""Creating, listing and revoking a user's personal access tokens.

A token acts for its user with at most the scopes of the credential that created it (an operator's token: every
scope), inside what the user's role allows at the time of each request. Creating is not idempotent: a retried
create issues a second token (both are listed, either can be revoked). Revoking is idempotent and effective on
the token's very next request.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from keytally.access import organization_created
from keytally.auth import secrets, tokens
from keytally.auth.principal import Principal
from keytally.errors import Forbidden, NotFound, WrongOrganization
from keytally.models import ALL_SCOPES, Scope, TokenRecord, UserWithMemberships
from keytally.storage import signing_key
from keytally.storage import tokens as token_rows
from keytally.tokens.models import CreatePersonalAccessToken


def _owner(principal: Principal) -> UserWithMemberships:
    """The user whose tokens these are: user keys and tokens act for one, organization keys for none."""
    if principal.account is None:
        raise Forbidden("Personal access tokens belong to users: use a user key or a personal access token.")
    return principal.account


def create_token(principal: Principal, request: CreatePersonalAccessToken, now: datetime) -> tuple[TokenRecord, str]:
    """A bound caller's tokens are bound to its own organization: asking for another is the same 403 as any
    organization the caller may not access."""
    account = _owner(principal)
    org_slug = request.organizationSlug or principal.org_slug
    if principal.org_slug not in (None, org_slug):
        raise WrongOrganization(f"A token bound to '{principal.org_slug}' may not issue one for '{org_slug}'.")
    return issue_token(account, request, principal.scopes, org_slug, now)


def issue_token(
    account: UserWithMemberships,
    request: CreatePersonalAccessToken,
    scopes: frozenset[Scope],
    org_slug: str | None,
    now: datetime,
) -> tuple[TokenRecord, str]:
    """Stores the token's row and returns it with the signed token, which is never stored nor shown again. Checks
    what holds for every creator: global metrics only for staff, an organization only where the user is an active
    member (staff: any that exists)."""
    if request.access_global_metrics and not account.user.is_staff:
        raise Forbidden("access_global_metrics: only staff may create tokens for the global metrics.")
    if org_slug is not None:
        if not account.user.is_staff and account.role_in(org_slug) is None:
            raise WrongOrganization(f"The token's user is not an active member of organization '{org_slug}'.")
        organization_created(org_slug)
    key = signing_key.pat_signing_key()  # before anything is stored: no signing key, no token
    created_at = now.replace(microsecond=0)  # JWT times are whole seconds; the row says the same
    record = TokenRecord(
        pat_id=secrets.new_id("pat_"),
        user_id=account.user.user_id,
        name=request.name,
        jti=secrets.new_id("jti_"),
        read_only=request.read_only,
        access_global_metrics=request.access_global_metrics,
        org_slug=org_slug,
        scope_names=tuple(sorted(scopes & ALL_SCOPES, key=lambda scope: scope.value)),
        created_at=created_at,
        expires_at=created_at + timedelta(days=request.expires_in_days),
    )
    token_rows.put_token(record)
    return record, tokens.issue(record, key)


def list_tokens(principal: Principal) -> list[TokenRecord]:
    return token_rows.tokens_of_user(_owner(principal).user.user_id)


def revoke_token(principal: Principal, pat_id: str, now: datetime) -> TokenRecord:
    """Another user's token is reported missing, as one that never existed."""
    revoked = token_rows.revoke_token(pat_id, _owner(principal).user.user_id, now)
    if revoked is None:
        raise NotFound(f"Personal access token '{pat_id}' does not exist.")
    return revoked
