"""Per-credential request counters, one item per credential and hourly window, expired by TTL."""

from __future__ import annotations

from botocore.exceptions import ClientError

from keytally.storage.dynamodb import entity_table, error_code, translated_errors


def count_request(credential_id: str, window: str, limit: int, expires_epoch: int) -> int | None:
    """Counts one request in the window and returns the new count, or None when the limit is already reached.

    One conditional update: DynamoDB applies it atomically, so concurrent requests never count past the limit,
    and a refused request is not counted.
    """
    try:
        with translated_errors():
            result = entity_table().update_item(
                Key={"pk": f"RATE#{credential_id}#{window}", "sk": "RATE"},
                UpdateExpression="ADD request_count :one SET #ttl = if_not_exists(#ttl, :ttl)",
                ConditionExpression="attribute_not_exists(request_count) OR request_count < :limit",
                ExpressionAttributeNames={"#ttl": "ttl"},
                ExpressionAttributeValues={":one": 1, ":limit": limit, ":ttl": expires_epoch},
                ReturnValues="UPDATED_NEW",
            )
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return None
        raise
    return int(result["Attributes"]["request_count"])
