"""Standalone rate limits (Unkey's ratelimit.limit): one counter per organization, namespace, identifier and fixed
window, `LIMIT#{org}#{namespace}#{identifier}#{window}` / `LIMIT`, expired by TTL a day after its window.

A request counts `cost` on the condition that the window's count stays within the limit: DynamoDB applies it
atomically, so requests at once never count past the limit, and a refused one counts nothing. One write unit a
request, refused or not; the item takes about 1,000 writes a second, the most one identifier can be asked at.
"""

from __future__ import annotations

from keytally.storage.dynamodb import ConditionFailed, entity_table, translated_errors

KEPT_AFTER_MS = 86_400_000


def count(
    org_slug: str, namespace: str, identifier: str, window: int, window_end_ms: int, cost: int, limit: int
) -> tuple[bool, int]:
    """Adds `cost` to the window's count if it stays within `limit`: (True, the new count), or (False, the count as
    it is) with nothing added."""
    key = {"pk": f"LIMIT#{org_slug}#{namespace}#{identifier}#{window}", "sk": "LIMIT"}
    try:
        with translated_errors():
            result = entity_table().update_item(
                Key=key,
                UpdateExpression="ADD used :cost SET #ttl = if_not_exists(#ttl, :ttl)",
                ConditionExpression="attribute_not_exists(used) OR used <= :room",
                ExpressionAttributeNames={"#ttl": "ttl"},
                ExpressionAttributeValues={
                    ":cost": cost,
                    ":room": limit - cost,
                    ":ttl": (window_end_ms + KEPT_AFTER_MS) // 1000,
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
    except ConditionFailed as failure:
        return False, int((failure.item or {}).get("used", 0))
    return True, int(result["Attributes"].get("used", 0))
