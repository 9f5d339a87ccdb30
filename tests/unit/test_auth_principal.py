"""keytally.auth.principal: what an organization key, a user key and a staff user may do where."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keytally.auth.principal import CredentialKind, Principal
from keytally.auth.scopes import ROLE_SCOPES
from keytally.errors import Forbidden, WrongOrganization
from keytally.models import ALL_SCOPES, Membership, Role, Scope, User, UserWithMemberships

CREATED = datetime(2024, 1, 1, tzinfo=UTC)
CHAINPATROL_403 = "You do not have permission to access metrics for this organization"


def account(user_id: str = "u_alice", *, is_staff: bool = False, memberships=()) -> UserWithMemberships:
    user = User(user_id=user_id, email=f"{user_id}@example.com", is_staff=is_staff, created_time=CREATED)
    return UserWithMemberships(
        user=user,
        memberships=tuple(
            Membership(org_slug=slug, user_id=user_id, role=role, is_active=active)
            for slug, role, active in memberships
        ),
    )


def org_key(scopes=(Scope.KEYS_READ, Scope.ANALYTICS_READ), org_slug: str = "acme") -> Principal:
    return Principal(
        kind=CredentialKind.ORGANIZATION_KEY, credential_id="ak_org", scopes=frozenset(scopes), org_slug=org_slug
    )


# deliberately not in sorted order, to check member_orgs_with sorts
ALICE_MEMBERSHIPS = (
    ("initech", Role.MEMBER, True),
    ("globex", Role.ADMIN, True),
    ("acme", Role.OWNER, True),
    ("umbrella", Role.OWNER, False),  # inactive
)


def user_key(scopes=ALL_SCOPES, memberships=ALICE_MEMBERSHIPS, *, is_staff: bool = False) -> Principal:
    return Principal(
        kind=CredentialKind.USER_KEY,
        credential_id="ak_usr",
        scopes=frozenset(scopes),
        account=account(is_staff=is_staff, memberships=memberships),
    )


# --- organization keys -----------------------------------------------------------------------------------


def test_org_key_in_its_own_org_has_its_scopes() -> None:
    principal = org_key()

    assert principal.may_access("acme") is True
    assert principal.scopes_in("acme") == frozenset({Scope.KEYS_READ, Scope.ANALYTICS_READ})
    assert principal.is_staff is False
    assert principal.user_id is None


@pytest.mark.parametrize("other", ["globex", "Acme", "acme ", "acm", "acme-corp", ""])
def test_org_key_in_another_org_has_nothing(other: str) -> None:
    principal = org_key()

    assert principal.may_access(other) is False
    assert principal.scopes_in(other) == frozenset()


def test_org_key_require_in_own_org_with_scope_passes() -> None:
    org_key().require("acme", Scope.KEYS_READ)
    org_key().require("acme", Scope.ANALYTICS_READ)


def test_org_key_require_foreign_org_raises_chainpatrol_403() -> None:
    with pytest.raises(WrongOrganization) as caught:
        org_key().require("globex", Scope.KEYS_READ)

    assert caught.value.status == 403
    assert caught.value.code == "FORBIDDEN"
    assert caught.value.message == CHAINPATROL_403


def test_org_key_require_missing_scope_in_own_org_is_plain_forbidden() -> None:
    with pytest.raises(Forbidden) as caught:
        org_key().require("acme", Scope.KEYS_WRITE)

    assert not isinstance(caught.value, WrongOrganization)
    assert caught.value.status == 403
    assert caught.value.message != CHAINPATROL_403
    assert "keys:write" in str(caught.value)


def test_org_key_foreign_org_wins_over_missing_scope() -> None:
    with pytest.raises(WrongOrganization):
        org_key().require("globex", Scope.KEYS_WRITE)


def test_org_key_has_no_member_orgs() -> None:
    assert org_key(scopes=ALL_SCOPES).member_orgs_with(Scope.KEYS_READ) == []


# --- user keys -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("org", "role"), [("acme", Role.OWNER), ("globex", Role.ADMIN), ("initech", Role.MEMBER)])
def test_user_key_with_all_scopes_gets_exactly_its_role_scopes(org: str, role: Role) -> None:
    principal = user_key()

    assert principal.may_access(org) is True
    assert principal.scopes_in(org) == ROLE_SCOPES[role]


def test_role_scopes_are_as_designed() -> None:
    assert ROLE_SCOPES[Role.OWNER] == ALL_SCOPES
    assert ROLE_SCOPES[Role.ADMIN] == ALL_SCOPES - {Scope.METRICS_READ}
    assert ROLE_SCOPES[Role.MEMBER] == {Scope.ANALYTICS_READ, Scope.KEYS_VERIFY, Scope.MEMBERS_READ}


@pytest.mark.parametrize(
    ("org", "expected"),
    [
        ("acme", {Scope.KEYS_READ, Scope.METRICS_READ}),  # owner: everything the key holds
        ("globex", {Scope.KEYS_READ}),  # admin: no metrics:read
        ("initech", set()),  # member: neither keys:read nor metrics:read
        ("umbrella", set()),  # inactive
        ("hooli", set()),  # not a member
    ],
)
def test_user_key_scopes_are_intersection_of_key_and_role(org: str, expected: set[Scope]) -> None:
    principal = user_key(scopes={Scope.KEYS_READ, Scope.METRICS_READ})

    assert principal.scopes_in(org) == frozenset(expected)


@pytest.mark.parametrize("org", ["umbrella", "hooli"])
def test_user_key_cannot_access_inactive_or_foreign_org(org: str) -> None:
    principal = user_key()

    assert principal.may_access(org) is False
    assert principal.scopes_in(org) == frozenset()
    with pytest.raises(WrongOrganization) as caught:
        principal.require(org, Scope.ANALYTICS_READ)
    assert caught.value.message == CHAINPATROL_403


@pytest.mark.parametrize(
    ("org", "scope"),
    [
        ("globex", Scope.METRICS_READ),  # admin lacks metrics:read
        ("initech", Scope.KEYS_READ),  # member lacks keys:read
        ("initech", Scope.KEYS_WRITE),
        ("acme", Scope.EVENTS_WRITE),  # owner, but the key lacks the scope
    ],
)
def test_user_key_missing_scope_in_accessible_org_is_plain_forbidden(org: str, scope: Scope) -> None:
    principal = user_key(scopes=ALL_SCOPES - {Scope.EVENTS_WRITE})

    with pytest.raises(Forbidden) as caught:
        principal.require(org, scope)
    assert not isinstance(caught.value, WrongOrganization)
    assert caught.value.message != CHAINPATROL_403


@pytest.mark.parametrize(
    ("org", "scope"),
    [
        ("acme", Scope.METRICS_READ),
        ("acme", Scope.KEYS_WRITE),
        ("globex", Scope.KEYS_WRITE),
        ("initech", Scope.ANALYTICS_READ),
        ("initech", Scope.KEYS_VERIFY),
    ],
)
def test_user_key_require_passes_where_role_and_key_allow(org: str, scope: Scope) -> None:
    user_key().require(org, scope)


def test_member_with_only_inactive_membership_is_foreign() -> None:
    principal = user_key(memberships=[("acme", Role.OWNER, False)])

    assert principal.may_access("acme") is False
    with pytest.raises(WrongOrganization):
        principal.require("acme", Scope.KEYS_READ)


@pytest.mark.parametrize(
    ("scope", "orgs"),
    [
        (Scope.ANALYTICS_READ, ["acme", "globex", "initech"]),
        (Scope.KEYS_VERIFY, ["acme", "globex", "initech"]),
        (Scope.KEYS_WRITE, ["acme", "globex"]),
        (Scope.METRICS_READ, ["acme"]),
    ],
)
def test_member_orgs_with_lists_active_orgs_where_scope_is_usable_sorted(scope: Scope, orgs: list[str]) -> None:
    assert user_key().member_orgs_with(scope) == orgs


def test_member_orgs_with_respects_key_scopes() -> None:
    principal = user_key(scopes={Scope.KEYS_READ})

    assert principal.member_orgs_with(Scope.KEYS_READ) == ["acme", "globex"]
    assert principal.member_orgs_with(Scope.ANALYTICS_READ) == []


def test_user_key_exposes_its_user() -> None:
    principal = user_key()

    assert principal.user_id == "u_alice"
    assert principal.is_staff is False


# --- staff -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("org", ["acme", "umbrella", "hooli", "anything-at-all"])
def test_staff_user_accesses_every_org_with_key_scopes(org: str) -> None:
    principal = user_key(scopes={Scope.ANALYTICS_READ, Scope.METRICS_READ}, memberships=(), is_staff=True)

    assert principal.is_staff is True
    assert principal.may_access(org) is True
    assert principal.scopes_in(org) == frozenset({Scope.ANALYTICS_READ, Scope.METRICS_READ})
    principal.require(org, Scope.METRICS_READ)


def test_staff_scopes_are_not_cut_by_a_member_role() -> None:
    principal = user_key(scopes=ALL_SCOPES, memberships=[("initech", Role.MEMBER, True)], is_staff=True)

    assert principal.scopes_in("initech") == ALL_SCOPES


def test_staff_missing_scope_is_plain_forbidden() -> None:
    principal = user_key(scopes={Scope.ANALYTICS_READ}, memberships=(), is_staff=True)

    with pytest.raises(Forbidden) as caught:
        principal.require("hooli", Scope.KEYS_WRITE)
    assert not isinstance(caught.value, WrongOrganization)


# --- require_scope ---------------------------------------------------------------------------------------


def test_require_scope_checks_the_credential_scopes_only() -> None:
    principal = org_key(scopes={Scope.KEYS_READ})

    principal.require_scope(Scope.KEYS_READ)
    with pytest.raises(Forbidden) as caught:
        principal.require_scope(Scope.KEYS_WRITE)
    assert not isinstance(caught.value, WrongOrganization)
    assert "keys:write" in str(caught.value)


def token(user: UserWithMemberships, *, org_slug: str | None = None, read_only: bool = False) -> Principal:
    return Principal(
        kind=CredentialKind.PERSONAL_ACCESS_TOKEN,
        credential_id="pat_1",
        scopes=ALL_SCOPES,
        org_slug=org_slug,
        account=user,
        read_only=read_only,
    )


def test_a_bound_token_acts_in_its_organization_only_and_within_its_users_role():
    alice = account(memberships=ALICE_MEMBERSHIPS)
    bound = token(alice, org_slug="globex")
    assert bound.may_access("globex") and not bound.may_access("acme")
    assert bound.scopes_in("globex") == ROLE_SCOPES[Role.ADMIN] and bound.scopes_in("acme") == frozenset()
    assert bound.member_orgs_with(Scope.ANALYTICS_READ) == ["globex"]
    with pytest.raises(WrongOrganization):
        bound.require("acme", Scope.ANALYTICS_READ)


def test_a_staff_users_bound_token_is_still_bound():
    staff = token(account("u_staff", is_staff=True), org_slug="acme")
    assert staff.scopes_in("acme") == ALL_SCOPES and not staff.may_access("globex")
    unbound = token(account("u_staff", is_staff=True))
    assert unbound.may_access("globex") and unbound.scopes_in("globex") == ALL_SCOPES


def test_a_token_bound_to_an_organization_its_user_left_reaches_nothing():
    assert token(account(memberships=ALICE_MEMBERSHIPS), org_slug="umbrella").scopes_in("umbrella") == frozenset()


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "get"])
def test_read_only_tokens_may_use_safe_methods(method):
    token(account(), read_only=True).require_method(method)


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT", "DELETE"])
def test_read_only_tokens_may_not_write(method):
    with pytest.raises(Forbidden, match="read-only"):
        token(account(), read_only=True).require_method(method)
    token(account()).require_method(method)
