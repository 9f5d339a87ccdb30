"""Organizations, users, memberships and API keyspaces in the entity table."""

from __future__ import annotations

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from keytally.errors import Conflict
from keytally.models import Keyspace, Membership, Organization, User, UserWithMemberships
from keytally.storage.dynamodb import entity_table, error_code, to_item, translated_errors

_NEW_ITEM = "attribute_not_exists(pk)"


def _put_new(item: dict, conflict: str) -> None:
    try:
        with translated_errors():
            entity_table().put_item(Item=item, ConditionExpression=_NEW_ITEM)
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            raise Conflict(conflict) from error
        raise


def create_organization(org: Organization) -> None:
    """Slugs are unique: a second create of the same slug (a retry included) is a Conflict, never an overwrite."""
    _put_new(
        to_item(org, pk=f"ORG#{org.slug}", sk="ORG", gsi3pk="ORGS", gsi3sk=org.slug),
        f"Organization '{org.slug}' already exists.",
    )


def get_organization(slug: str) -> Organization | None:
    with translated_errors():
        item = entity_table().get_item(Key={"pk": f"ORG#{slug}", "sk": "ORG"}).get("Item")
    return Organization.model_validate(item) if item else None


def list_organizations() -> list[Organization]:
    with translated_errors():
        pages = _query_all(IndexName="ByKind", KeyConditionExpression=Key("gsi3pk").eq("ORGS"))
    return [Organization.model_validate(item) for item in pages]


def create_user(user: User) -> None:
    """Creates the user and claims its email in one transaction: both or neither."""
    table = entity_table()
    try:
        with translated_errors():
            table.meta.client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": table.name, "ConditionExpression": _NEW_ITEM,
                             "Item": {"pk": f"EMAIL#{user.email}", "sk": "EMAIL", "user_id": user.user_id}}},
                    {"Put": {"TableName": table.name, "ConditionExpression": _NEW_ITEM,
                             "Item": to_item(user, pk=f"USER#{user.user_id}", sk="USER")}},
                ]
            )
    except ClientError as error:
        if error_code(error) == "TransactionCanceledException":
            raise Conflict(f"A user with email '{user.email}' already exists.") from error
        raise


def get_user_by_email(email: str) -> User | None:
    with translated_errors():
        claim = entity_table().get_item(Key={"pk": f"EMAIL#{email}", "sk": "EMAIL"}).get("Item")
    if not claim:
        return None
    found = get_user_with_memberships(claim["user_id"])
    return found.user if found else None


def get_user_with_memberships(user_id: str) -> UserWithMemberships | None:
    """The user's profile and every membership, in one strongly consistent query of the user's partition."""
    with translated_errors():
        items = _query_all(KeyConditionExpression=Key("pk").eq(f"USER#{user_id}"), ConsistentRead=True)
    profile = next((item for item in items if item["sk"] == "USER"), None)
    if profile is None:
        return None
    memberships = [Membership.model_validate(item) for item in items if item["sk"].startswith("MEMBER#")]
    return UserWithMemberships(user=User.model_validate(profile), memberships=tuple(memberships))


def put_membership(membership: Membership) -> None:
    """Adds or replaces the user's membership of the organization; repeating it is harmless."""
    with translated_errors():
        entity_table().put_item(
            Item=to_item(
                membership,
                pk=f"USER#{membership.user_id}",
                sk=f"MEMBER#{membership.org_slug}",
                gsi1pk=f"ORG#{membership.org_slug}",
                gsi1sk=f"MEMBER#{membership.user_id}",
            )
        )


def create_keyspace(keyspace: Keyspace) -> None:
    _put_new(
        to_item(
            keyspace,
            pk=f"ORG#{keyspace.org_slug}",
            sk=f"API#{keyspace.api_id}",
            gsi2pk=f"API#{keyspace.api_id}",
        ),
        f"API '{keyspace.api_id}' already exists.",
    )


def list_keyspaces(org_slug: str) -> list[Keyspace]:
    with translated_errors():
        items = _query_all(
            KeyConditionExpression=Key("pk").eq(f"ORG#{org_slug}") & Key("sk").begins_with("API#"),
        )
    return [Keyspace.model_validate(item) for item in items]


def get_keyspace(api_id: str) -> Keyspace | None:
    with translated_errors():
        items = entity_table().query(IndexName="ById", KeyConditionExpression=Key("gsi2pk").eq(f"API#{api_id}"))
    return Keyspace.model_validate(items["Items"][0]) if items["Items"] else None


def _query_all(**query) -> list[dict]:
    table, items, start = entity_table(), [], {}
    while True:
        page = table.query(**query, **start)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
