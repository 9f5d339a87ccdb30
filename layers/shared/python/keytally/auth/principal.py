"""Who is calling, and what they may do in an organization. Pure logic over plain models."""

from __future__ import annotations

import enum
from typing import NamedTuple

from keytally.auth.scopes import READ_SCOPES, ROLE_SCOPES
from keytally.errors import Forbidden, WrongOrganization
from keytally.models import Scope, UserWithMemberships


class CredentialKind(str, enum.Enum):
    ORGANIZATION_KEY = "organization_key"
    USER_KEY = "user_key"
    PERSONAL_ACCESS_TOKEN = "personal_access_token"


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Principal(NamedTuple):
    kind: CredentialKind
    credential_id: str
    scopes: frozenset[Scope]
    org_slug: str | None = None  # the one organization an org-bound credential (key or token) acts in
    account: UserWithMemberships | None = None  # the user a user-bound credential acts for, as stored now
    read_only: bool = False  # a read-only token: safe methods only, anywhere
    global_metrics: bool = False  # a token created by staff for GET /v1/metrics/all

    @property
    def is_staff(self) -> bool:
        return self.account is not None and self.account.user.is_staff

    @property
    def user_id(self) -> str | None:
        return self.account.user.user_id if self.account else None

    def require_scope(self, scope: Scope) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"The credential lacks the scope '{scope.value}'.")

    def scopes_in(self, org_slug: str) -> frozenset[Scope]:
        """What this credential may do inside the organization (a read-only token: only read); empty when it may not
        access it at all."""
        if not self.may_access(org_slug):
            return frozenset()
        scopes = self.scopes & READ_SCOPES if self.read_only else self.scopes
        if self.account is None or self.is_staff:
            return scopes
        role = self.account.role_in(org_slug)
        return scopes & ROLE_SCOPES[role] if role else frozenset()

    def may_access(self, org_slug: str) -> bool:
        """A bound credential only its organization (a token there only while its user is staff or a member)."""
        if self.org_slug is not None and org_slug != self.org_slug:
            return False
        if self.account is None:
            return True
        return self.is_staff or self.account.role_in(org_slug) is not None

    def require_method(self, method: str) -> None:
        if self.read_only and method.upper() not in SAFE_METHODS:
            raise Forbidden("The personal access token is read-only: only GET, HEAD and OPTIONS are allowed.")

    def require(self, org_slug: str, scope: Scope) -> None:
        """Raises the ChainPatrol 403 for a foreign organization, a plain 403 for a missing scope or role."""
        if not self.may_access(org_slug):
            raise WrongOrganization(f"The credential may not access organization '{org_slug}'.")
        if scope not in self.scopes_in(org_slug):
            raise Forbidden(f"The credential may not use '{scope.value}' in organization '{org_slug}'.")

    def member_orgs_with(self, scope: Scope) -> list[str]:
        """Organizations where this user-bound credential may use `scope`, sorted."""
        if self.account is None:
            return []
        return sorted(m.org_slug for m in self.account.memberships if scope in self.scopes_in(m.org_slug))
