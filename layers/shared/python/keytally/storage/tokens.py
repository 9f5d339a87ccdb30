"""Personal access tokens in the entity table.

Item `PAT#{pat_id}` / `PAT` (index ByOwner `USER#{user_id}` / `PAT#{created}#{pat_id}`, so a user's tokens list
oldest first beside, never among, their user keys `KEY#...`). Authentication reads the row strongly, so a
revocation counts from the very next request.
"""

from __future__ import annotations

from datetime import datetime

from boto3.dynamodb.conditions import Key

from keytally.models import TokenRecord
from keytally.storage.dynamodb import (
    ConditionFailed,
    entity_table,
    query_items,
    readable,
    record_use,
    stored_time,
    to_item,
    translated_errors,
    user_partition,
)


def _primary_key(pat_id: str) -> dict[str, str]:
    return {"pk": f"PAT#{pat_id}", "sk": "PAT"}


def put_token(record: TokenRecord) -> None:
    """pat_ids are random and new: the condition only guards against ever overwriting a token."""
    item = to_item(
        record,
        **_primary_key(record.pat_id),
        gsi1pk=user_partition(record.user_id),
        gsi1sk=f"PAT#{stored_time(record.created_at)}#{record.pat_id}",
    )
    with translated_errors():
        entity_table().put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")


def get_token(pat_id: str) -> TokenRecord | None:
    with translated_errors():
        item = entity_table().get_item(Key=_primary_key(pat_id), ConsistentRead=True).get("Item")
    return next(iter(readable([item], TokenRecord.model_validate)), None) if item else None


def tokens_of_user(user_id: str) -> list[TokenRecord]:
    """Every token of the user, revoked and expired ones included, oldest first."""
    condition = Key("gsi1pk").eq(user_partition(user_id)) & Key("gsi1sk").begins_with("PAT#")
    return readable(
        query_items(entity_table(), IndexName="ByOwner", KeyConditionExpression=condition), TokenRecord.model_validate
    )


def revoke_token(pat_id: str, user_id: str, at: datetime) -> TokenRecord | None:
    """Revokes the user's token; a repeated revoke keeps the first time. None when the user has no such token."""
    try:
        with translated_errors():
            result = entity_table().update_item(
                Key=_primary_key(pat_id),
                UpdateExpression="SET revoked_at = if_not_exists(revoked_at, :at)",
                ConditionExpression="attribute_exists(pk) AND user_id = :user",
                ExpressionAttributeValues={":at": stored_time(at), ":user": user_id},
                ReturnValues="ALL_NEW",
            )
    except ConditionFailed:
        return None
    return TokenRecord.model_validate(result["Attributes"])


def touch_last_used(pat_id: str, now: datetime, stale_before: datetime) -> None:
    record_use(_primary_key(pat_id), now, stale_before)
