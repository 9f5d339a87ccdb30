"""Organizations, users and memberships in the entity table.

Items: organization `ORG#{slug}` / `ORG` (index ByKind `ORGS`); user `USER#{id}` / `USER` (index ByKind `USERS` /
email); email claim `EMAIL#{email}` / `EMAIL`; membership `USER#{id}` / `MEMBER#{slug}` (index ByOwner `ORG#{slug}` /
`MEMBER#{user id}`). A user's partition holds the profile and every membership, so authenticating a user's
credential reads both in one strongly consistent Query: a change to either counts from the next request.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key

from keytally.errors import Conflict
from keytally.models import Membership, Organization, User, UserWithMemberships
from keytally.settings import get_settings
from keytally.storage import key_census
from keytally.storage.dynamodb import (
    ConditionFailed,
    batch_get,
    entity_table,
    org_partition,
    query_items,
    readable,
    to_item,
    translated_errors,
    user_partition,
)

NEW_ITEM = "attribute_not_exists(pk)"


def create_organization(org: Organization) -> None:
    """Slugs are unique: a second create of the same slug (a retry included) is a Conflict, never an overwrite. A new
    organization's key census is complete from the start (it has no keys yet)."""
    item = to_item(org, pk=org_partition(org.slug), sk="ORG", gsi3pk="ORGS", gsi3sk=org.slug)
    table = entity_table()
    puts = [item, key_census.complete_item(org.slug)]
    try:
        with translated_errors():
            table.meta.client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": table.name, "Item": put, "ConditionExpression": NEW_ITEM}} for put in puts
                ]
            )
    except ConditionFailed as error:
        raise Conflict(f"Organization '{org.slug}' already exists.") from error


def get_organization(slug: str) -> Organization | None:
    with translated_errors():
        item = entity_table().get_item(Key={"pk": org_partition(slug), "sk": "ORG"}).get("Item")
    return next(iter(readable([item], Organization.model_validate)), None) if item else None


def list_organizations() -> list[Organization]:
    items = query_items(entity_table(), IndexName="ByKind", KeyConditionExpression=Key("gsi3pk").eq("ORGS"))
    return readable(items, Organization.model_validate)


def create_user(user: User) -> None:
    """Creates the user and claims its email in one transaction: both or neither."""
    table = entity_table()
    try:
        with translated_errors():
            table.meta.client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": table.name,
                            "ConditionExpression": NEW_ITEM,
                            "Item": {"pk": f"EMAIL#{user.email}", "sk": "EMAIL", "user_id": user.user_id},
                        }
                    },
                    {
                        "Put": {
                            "TableName": table.name,
                            "ConditionExpression": NEW_ITEM,
                            "Item": to_item(
                                user, pk=user_partition(user.user_id), sk="USER", gsi3pk="USERS", gsi3sk=user.email
                            ),
                        }
                    },
                ]
            )
    except ConditionFailed as error:
        raise Conflict(f"A user with email '{user.email}' already exists.") from error


def get_user_by_email(email: str) -> User | None:
    with translated_errors():
        claim = entity_table().get_item(Key={"pk": f"EMAIL#{email}", "sk": "EMAIL"}).get("Item")
    if not claim:
        return None
    found = get_user_with_memberships(claim["user_id"])
    return found.user if found else None


def get_user_with_memberships(user_id: str) -> UserWithMemberships | None:
    """The user's profile and every membership, in one strongly consistent query of the user's partition."""
    items = list(
        query_items(entity_table(), KeyConditionExpression=Key("pk").eq(user_partition(user_id)), ConsistentRead=True)
    )
    profile = readable((item for item in items if item["sk"] == "USER"), User.model_validate)
    if not profile:
        return None
    memberships = readable((item for item in items if item["sk"].startswith("MEMBER#")), Membership.model_validate)
    return UserWithMemberships(user=profile[0], memberships=tuple(memberships))


def put_membership(membership: Membership) -> None:
    """Adds or replaces the user's membership of the organization; repeating it is harmless."""
    with translated_errors():
        entity_table().put_item(
            Item=to_item(
                membership,
                pk=user_partition(membership.user_id),
                sk=f"MEMBER#{membership.org_slug}",
                gsi1pk=org_partition(membership.org_slug),
                gsi1sk=f"MEMBER#{membership.user_id}",
            )
        )


def list_users() -> list[User]:
    """Every user, by email."""
    items = query_items(entity_table(), IndexName="ByKind", KeyConditionExpression=Key("gsi3pk").eq("USERS"))
    return readable(items, User.model_validate)


def update_user(user_id: str, changes: dict[str, Any]) -> User | None:
    """Sets the fields given; None when there is no such user. Repeating it is harmless."""
    names = {f"#{name}": name for name in changes}
    values = {f":{name}": value for name, value in changes.items()}
    try:
        with translated_errors():
            result = entity_table().update_item(
                Key={"pk": user_partition(user_id), "sk": "USER"},
                UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in changes),
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
    except ConditionFailed:
        return None
    return User.model_validate(result["Attributes"])


def members_of(org_slug: str) -> list[Membership]:
    """Every membership of the organization, inactive ones included."""
    condition = Key("gsi1pk").eq(org_partition(org_slug)) & Key("gsi1sk").begins_with("MEMBER#")
    return readable(
        query_items(entity_table(), IndexName="ByOwner", KeyConditionExpression=condition), Membership.model_validate
    )


def users_by_id(user_ids: set[str]) -> dict[str, User]:
    """The profiles of the users (one BatchGetItem per 100); unknown ids are absent."""
    keys = [{"pk": user_partition(user_id), "sk": "USER"} for user_id in sorted(user_ids)]
    users = readable(batch_get(get_settings().table_name, keys, None), User.model_validate)
    return {user.user_id: user for user in users}


def remove_membership(org_slug: str, user_id: str) -> None:
    """Removes the user's membership of the organization; removing one that is gone is harmless."""
    with translated_errors():
        entity_table().delete_item(Key={"pk": user_partition(user_id), "sk": f"MEMBER#{org_slug}"})
