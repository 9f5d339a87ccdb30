"""An API's live product keys, listed and counted (Unkey's listKeys): index ByApi, oldest first.

A listed product key's item carries `gsi4pk` `API#{api_id}` and `gsi4sk` `{created}#{id}`; its owner item
(`APIKEY#{id}` / `OWNER`, which holds its hash) carries `gsi4pk` `API#{api_id}#EXT#{external_id}` and the same sort
key while it has an identity, so one Query lists an API's keys, or those of one identity in it, and reads nothing
else. The API's item counts them in `live_keys`. All of it is written in the transaction that creates, revokes or
changes the identity of the key (storage/api_keys.py); a revoked key leaves the index and the count. The index
projects `key_hash` only: a page of ids is then read as keys (storage/api_keys.py).

Product keys stored before the index (`listed` false) are neither listed nor counted.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key

from keytally.models import KeyRecord
from keytally.storage.dynamodb import entity_table, org_partition, stored_time, translated_errors


def partition(api_id: str, external_id: str | None = None) -> str:
    return f"API#{api_id}" if external_id is None else f"API#{api_id}#EXT#{external_id}"


def _position(record: KeyRecord) -> str:
    return f"{stored_time(record.created_time)}#{record.api_key_id}"


def key_attributes(record: KeyRecord) -> dict[str, str]:
    return {"gsi4pk": partition(record.api_id or ""), "gsi4sk": _position(record)}


def owner_attributes(record: KeyRecord) -> dict[str, str]:
    if record.external_id is None:
        return {}
    return {"gsi4pk": partition(record.api_id or "", record.external_id), "gsi4sk": _position(record)}


def _api_key(record: KeyRecord) -> dict[str, str]:
    return {"pk": org_partition(record.org_slug or ""), "sk": f"API#{record.api_id}"}


def count_write(record: KeyRecord, delta: int) -> dict[str, Any]:
    """A transaction item adding `delta` to the key's API's count of live keys."""
    update = {
        "TableName": entity_table().name,
        "Key": _api_key(record),
        "UpdateExpression": "ADD live_keys :delta",
        "ConditionExpression": "attribute_exists(pk)",
        "ExpressionAttributeValues": {":delta": delta},
    }
    return {"Update": update}


def owner_write(record: KeyRecord, listed: bool) -> dict[str, Any]:
    """A transaction item putting the key's owner item in its identity's listing (`listed` and an identity), or
    taking it out."""
    update: dict[str, Any] = {
        "TableName": entity_table().name,
        "Key": {"pk": f"APIKEY#{record.api_key_id}", "sk": "OWNER"},
        "ConditionExpression": "attribute_exists(pk)",
    }
    attributes = owner_attributes(record) if listed else {}
    if attributes:
        update["UpdateExpression"] = "SET gsi4pk = :pk, gsi4sk = :sk"
        update["ExpressionAttributeValues"] = {":pk": attributes["gsi4pk"], ":sk": attributes["gsi4sk"]}
    else:
        update["UpdateExpression"] = "REMOVE gsi4pk, gsi4sk"
    return {"Update": update}


def live_keys(org_slug: str, api_id: str) -> int:
    with translated_errors():
        item = entity_table().get_item(
            Key={"pk": org_partition(org_slug), "sk": f"API#{api_id}"}, ProjectionExpression="live_keys"
        )
    return int(item.get("Item", {}).get("live_keys", 0))


def page(
    api_id: str, external_id: str | None, limit: int, start: dict[str, str] | None
) -> tuple[list[str], dict[str, str] | None]:
    """Up to `limit` key hashes of the listing, oldest first, and the position after the last (None: no more). One
    Query of limit + 1 small index items, so a last full page says there is no more."""
    query: dict[str, Any] = {
        "IndexName": "ByApi",
        "KeyConditionExpression": Key("gsi4pk").eq(partition(api_id, external_id)),
        "Limit": limit + 1,
    }
    if start is not None:
        query["ExclusiveStartKey"] = start
    with translated_errors():
        items = entity_table().query(**query)["Items"]
    more = len(items) > limit
    items = items[:limit]
    after = {name: items[-1][name] for name in ("pk", "sk", "gsi4pk", "gsi4sk")} if more else None
    return [item["key_hash"] for item in items], after


def is_position(api_id: str, external_id: str | None, start: dict[str, Any]) -> bool:
    """Whether a cursor's position is a whole position in this listing's partition (never another's)."""
    return (
        set(start) == {"pk", "sk", "gsi4pk", "gsi4sk"}
        and all(isinstance(value, str) for value in start.values())
        and start["gsi4pk"] == partition(api_id, external_id)
    )
