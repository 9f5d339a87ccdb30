"""Per-credential hourly request counters (keytally's own rate limits): one item per credential, budget and
window, `RATE#{credential}#{budget}#{window}` / `RATE`, expired by TTL."""

from __future__ import annotations

from keytally.storage.dynamodb import ConditionFailed, entity_table, translated_errors


def count_request(credential_id: str, budget: str, window: str, limit: int, expires_epoch: int) -> int | None:
    """Counts one request in the window and returns the new count, or None when the limit is already reached.

    One conditional update: DynamoDB applies it atomically, so concurrent requests never count past the limit,
    and a refused request is not counted.
    """
    try:
        with translated_errors():
            result = entity_table().update_item(
                Key={"pk": f"RATE#{credential_id}#{budget}#{window}", "sk": "RATE"},
                UpdateExpression="ADD request_count :one SET #ttl = if_not_exists(#ttl, :ttl)",
                ConditionExpression="attribute_not_exists(request_count) OR request_count < :limit",
                ExpressionAttributeNames={"#ttl": "ttl"},
                ExpressionAttributeValues={":one": 1, ":limit": limit, ":ttl": expires_epoch},
                ReturnValues="UPDATED_NEW",
            )
    except ConditionFailed:
        return None
    return int(result["Attributes"]["request_count"])


def add_requests(credential_id: str, budget: str, window: str, count: int, expires_epoch: int) -> int:
    """Adds requests counted elsewhere (auth.tally) to the window's counter, whatever it holds; returns the new
    count. A retried add counts them again: the counter guards a budget, it bills nothing."""
    with translated_errors():
        result = entity_table().update_item(
            Key={"pk": f"RATE#{credential_id}#{budget}#{window}", "sk": "RATE"},
            UpdateExpression="ADD request_count :count SET #ttl = if_not_exists(#ttl, :ttl)",
            ExpressionAttributeNames={"#ttl": "ttl"},
            ExpressionAttributeValues={":count": count, ":ttl": expires_epoch},
            ReturnValues="UPDATED_NEW",
        )
    return int(result["Attributes"]["request_count"])
