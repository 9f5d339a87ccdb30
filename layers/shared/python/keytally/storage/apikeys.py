"""API keys in the entity table: stored under their SHA-256, found by id and listed by owner."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from keytally.auth.secrets import KeyKind
from keytally.models import KeyRecord
from keytally.storage.dynamodb import entity_table, error_code, to_item, translated_errors

ALL_KEYS = None  # owner partition meaning "every key" (staff listing)


def owner_partition(record: KeyRecord) -> str:
    return f"USER#{record.user_id}" if record.key_type is KeyKind.USER else f"ORG#{record.org_slug}"


def _primary_key(key_hash: str) -> dict[str, str]:
    return {"pk": f"KEY#{key_hash}", "sk": "KEY"}


def put_key(record: KeyRecord) -> None:
    """Stores a new key. Retrying a create stores another key (a new secret); never overwrites one."""
    created = f"{record.created_time.isoformat()}#{record.api_key_id}"
    item = to_item(
        record,
        **_primary_key(record.key_hash),
        gsi1pk=owner_partition(record),
        gsi1sk=f"KEY#{created}",
        gsi2pk=f"APIKEY#{record.api_key_id}",
        gsi3pk="KEYS",
        gsi3sk=created,
    )
    with translated_errors():
        entity_table().put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")


def get_key_by_hash(key_hash: str) -> KeyRecord | None:
    """The authentication lookup: strongly consistent, so a revocation counts from the very next request."""
    with translated_errors():
        item = entity_table().get_item(Key=_primary_key(key_hash), ConsistentRead=True).get("Item")
    return KeyRecord.model_validate(item) if item else None


def get_key_by_id(api_key_id: str) -> KeyRecord | None:
    with translated_errors():
        page = entity_table().query(
            IndexName="ById", KeyConditionExpression=Key("gsi2pk").eq(f"APIKEY#{api_key_id}")
        )
    return KeyRecord.model_validate(page["Items"][0]) if page["Items"] else None


def update_key(current: KeyRecord, changes: dict[str, Any]) -> KeyRecord | None:
    """Applies the changes to a live key; None when it was revoked meanwhile. Repeating it is harmless."""
    updated = KeyRecord.model_validate(current.model_dump() | changes)  # validated, so stored as create stores
    stored = updated.model_dump(mode="json", include=set(changes))
    names = {f"#{name}": name for name in changes}
    values = {f":{name}": value for name, value in stored.items() if value is not None}
    assignments = [f"#{name} = :{name}" for name in changes if f":{name}" in values]
    removals = [f"#{name}" for name in changes if f":{name}" not in values]
    expression = " ".join(
        clause
        for clause in ("SET " + ", ".join(assignments) if assignments else "",
                       "REMOVE " + ", ".join(removals) if removals else "")
        if clause
    )
    try:
        with translated_errors():
            result = entity_table().update_item(
                Key=_primary_key(current.key_hash),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(revoked_at)",
                ExpressionAttributeNames=names,
                ReturnValues="ALL_NEW",
                **({"ExpressionAttributeValues": values} if values else {}),
            )
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return None
        raise
    return KeyRecord.model_validate(result["Attributes"])


def revoke_key(key_hash: str, at: datetime) -> KeyRecord:
    """Revokes the key; a repeated revoke keeps the first revocation time."""
    with translated_errors():
        result = entity_table().update_item(
            Key=_primary_key(key_hash),
            UpdateExpression="SET revoked_at = if_not_exists(revoked_at, :at), is_enabled = :false",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":at": at.isoformat(), ":false": False},
            ReturnValues="ALL_NEW",
        )
    return KeyRecord.model_validate(result["Attributes"])


def touch_last_used(key_hash: str, now: datetime, stale_before: datetime) -> None:
    """Records use at most once per staleness window: concurrent callers race on the condition, one wins."""
    try:
        with translated_errors():
            entity_table().update_item(
                Key=_primary_key(key_hash),
                UpdateExpression="SET last_used_at = :now",
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(last_used_at) OR last_used_at < :stale)",
                ExpressionAttributeValues={":now": now.isoformat(), ":stale": stale_before.isoformat()},
            )
    except ClientError as error:
        if error_code(error) != "ConditionalCheckFailedException":
            raise


def query_key_page(
    owner: str | None, *, key_type: KeyKind | None, limit: int, start: dict[str, Any] | None
) -> tuple[list[KeyRecord], dict[str, Any] | None]:
    """Up to `limit` live keys of one owner partition (or of all owners), oldest first, and where to go on."""
    if owner is ALL_KEYS:
        query: dict[str, Any] = {"IndexName": "ByKind", "KeyConditionExpression": Key("gsi3pk").eq("KEYS")}
    else:
        query = {
            "IndexName": "ByOwner",
            "KeyConditionExpression": Key("gsi1pk").eq(owner) & Key("gsi1sk").begins_with("KEY#"),
        }
    live = Attr("revoked_at").not_exists()
    query["FilterExpression"] = live & Attr("key_type").eq(key_type.value) if key_type else live
    records: list[KeyRecord] = []
    table = entity_table()
    while True:
        with translated_errors():
            page = table.query(**query, Limit=limit - len(records), **({"ExclusiveStartKey": start} if start else {}))
        records.extend(KeyRecord.model_validate(item) for item in page["Items"])
        start = page.get("LastEvaluatedKey")
        if start is None or len(records) >= limit:
            return records, start


def spend(record: KeyRecord, update: str, condition: str, values: dict[str, Any]) -> tuple[bool, KeyRecord | None]:
    """Applies a verification's counter update to a product key if `condition` still holds, in one request.

    Returns (True, the key as updated), or (False, the key as it is now) with nothing changed when the condition
    failed — DynamoDB returns the current item with the failure, so deciding to refuse or retry costs no read.
    """
    try:
        with translated_errors():
            result = entity_table().update_item(
                Key=_primary_key(record.key_hash),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            current = error.response.get("Item")
            return False, KeyRecord.model_validate(_plain(current)) if current else None
        raise
    return True, KeyRecord.model_validate(result["Attributes"])


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """An item in DynamoDB's wire format (as a failed condition returns it) as plain Python values."""
    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in item.items()}
