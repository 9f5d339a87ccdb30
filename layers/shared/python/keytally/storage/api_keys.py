"""API keys in the entity table: stored under their SHA-256, found by id and listed by owner.

Item `KEY#{sha256}` / `KEY`; index ByOwner `ORG#{slug}` or `USER#{id}` / `KEY#{created}#{id}`; ById `APIKEY#{id}`;
ByKind `KEYS` / `{created}#{id}` (every key, for staff). Beside it, written in the same transaction, the key's
owner item `APIKEY#{id}` / `OWNER` (its organization and its hash), so that many ids resolve in one BatchGetItem,
and a product key's counters item `KEY#{sha256}` / `COUNTERS` (credits, last refill, rate-limit window and count,
last use), which no index holds: a verification rewrites that small item alone, never the key item the three
indexes copy. Every read of a product key reads its counters too.

An organization's key (its own or a product key) flagged `in_census` is counted in the organization's key census
(storage/key_census.py): whatever changes its state — creation, enabling, expiry, revocation — adds its deltas in the
same transaction, on the condition that the key is still as read (a write that lost a race reads again and retries).
Keys stored before the census are counted once by `count_uncounted_keys`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from boto3.dynamodb.conditions import Attr, Key

from keytally.errors import Conflict
from keytally.models import (
    CountInWindow,
    CounterChanges,
    KeyKind,
    KeyRecord,
    RefillCredits,
    SpendCredits,
    StartWindow,
)
from keytally.settings import get_settings
from keytally.storage import key_census
from keytally.storage.accounts import NEW_ITEM
from keytally.storage.dynamodb import (
    ConditionFailed,
    batch_get,
    entity_table,
    org_partition,
    query_items,
    query_pages,
    readable,
    record_use,
    stored_time,
    to_item,
    translated_errors,
    user_partition,
)
from keytally.timeseries.key_census import CREATED, KeyLife, changed, created


class KeyOwner(NamedTuple):
    """Whose keys a listing reads: an organization's, a user's own, or (neither) every key."""

    org_slug: str | None = None
    user_id: str | None = None

    @property
    def partition(self) -> str | None:
        if self.org_slug is not None:
            return org_partition(self.org_slug)
        return user_partition(self.user_id) if self.user_id is not None else None


EVERY_KEY = KeyOwner()


def owner_of(record: KeyRecord) -> KeyOwner:
    return KeyOwner(user_id=record.user_id) if record.key_type is KeyKind.USER else KeyOwner(org_slug=record.org_slug)


COUNTERS = ("remaining", "last_refill_at", "ratelimit_window", "ratelimit_count", "last_used_at")  # a product key's


def _primary_key(key_hash: str) -> dict[str, str]:
    return {"pk": f"KEY#{key_hash}", "sk": "KEY"}


def _counters_key(key_hash: str) -> dict[str, str]:
    return {"pk": f"KEY#{key_hash}", "sk": "COUNTERS"}


def _record(key_item: dict[str, Any], counters_item: dict[str, Any] | None) -> KeyRecord:
    """A key as one record: its item, and a product key's counters from theirs."""
    counters = {name: counters_item[name] for name in COUNTERS if name in counters_item} if counters_item else {}
    return KeyRecord.model_validate(key_item | counters)


def _with_counters(key_items: list[dict[str, Any]]) -> list[KeyRecord]:
    """Key items as records, the product keys' counters read beside them (one BatchGetItem per 100); an unreadable
    one left out."""
    products = [item["key_hash"] for item in key_items if item["key_type"] == KeyKind.PRODUCT.value]
    counters = batch_get(get_settings().table_name, [_counters_key(key_hash) for key_hash in products], None)
    by_hash = {item["pk"].removeprefix("KEY#"): item for item in counters}
    return readable(key_items, lambda item: _record(item, by_hash.get(item["key_hash"])))


def put_key(record: KeyRecord) -> None:
    """Stores a new key and its owner item (and an organization's key in its census), all or nothing. Retrying a
    create stores another key (a new secret); never overwrites one."""
    counted = record.org_slug is not None
    record = record.model_copy(update={"in_census": counted})
    created_at = f"{stored_time(record.created_time)}#{record.api_key_id}"
    item = to_item(
        record,
        **_primary_key(record.key_hash),
        gsi1pk=owner_of(record).partition or "",
        gsi1sk=f"KEY#{created_at}",
        gsi2pk=f"APIKEY#{record.api_key_id}",
        gsi3pk="KEYS",
        gsi3sk=created_at,
    )
    owner = {"pk": f"APIKEY#{record.api_key_id}", "sk": "OWNER", "key_hash": record.key_hash}
    if record.org_slug is not None:
        owner["org_slug"] = record.org_slug
    items = [item, owner]
    if record.key_type is KeyKind.PRODUCT:
        items.append({**_counters_key(record.key_hash), **{name: item.pop(name) for name in COUNTERS if name in item}})
    table = entity_table()
    puts = [{"Put": {"TableName": table.name, "Item": stored, "ConditionExpression": NEW_ITEM}} for stored in items]
    census = key_census.writes(record.org_slug, created(life_of(record))) if record.org_slug is not None else []
    with translated_errors():
        table.meta.client.transact_write_items(TransactItems=puts + census)


def life_of(record: KeyRecord) -> KeyLife:
    return KeyLife(record.created_time, record.is_enabled, record.expires_at, record.revoked_at)


Condition = tuple[str, dict[str, str], dict[str, Any]]  # an expression, its attribute names and values


def _as_read(record: KeyRecord) -> Condition:
    """A condition that the key item still holds what decides the key's state, and its census flag, as read."""
    clauses = ["attribute_exists(pk)", "#is_enabled = :was_enabled"]
    names: dict[str, str] = {"#is_enabled": "is_enabled", "#expires_at": "expires_at", "#in_census": "in_census"}
    values: dict[str, Any] = {":was_enabled": record.is_enabled}
    if record.revoked_at is None:
        clauses.append("attribute_not_exists(revoked_at)")
    else:
        clauses.append("revoked_at = :was_revoked")
        values[":was_revoked"] = stored_time(record.revoked_at)
    if record.expires_at is None:
        clauses.append("attribute_not_exists(#expires_at)")
    else:
        clauses.append("#expires_at = :was_expiring")
        values[":was_expiring"] = stored_time(record.expires_at)
    if record.in_census:
        clauses.append("#in_census = :counted")
        values[":counted"] = True
    else:
        clauses.append("(attribute_not_exists(#in_census) OR #in_census = :uncounted)")
        values[":uncounted"] = False
    return " AND ".join(clauses), names, values


def _set_as_read(record: KeyRecord, assignments: str, values: dict[str, Any]) -> dict[str, Any]:
    """A transaction item setting `assignments` on the key item, on the condition that it is still as read."""
    expression, names, condition_values = _as_read(record)
    update = {
        "TableName": entity_table().name,
        "Key": _primary_key(record.key_hash),
        "UpdateExpression": f"SET {assignments}",
        "ConditionExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": condition_values | values,
    }
    return {"Update": update}


def _census_writes(before: KeyRecord, after: KeyRecord, at: datetime) -> list[dict[str, Any]]:
    if not before.in_census or before.org_slug is None:
        return []
    return key_census.writes(before.org_slug, changed(life_of(before), life_of(after), at))


STATE_FIELDS = frozenset({"is_enabled", "expires_at"})  # what a change may set that decides a key's state
RACES = 5  # writes of one key that may land between a change's read and its write before it gives up (409)


def _reread(record: KeyRecord) -> KeyRecord | None:
    return get_key_by_hash(record.key_hash, record.key_type)


def organizations_of(api_key_ids: set[str]) -> dict[str, str | None]:
    """The organization of each stored key among the ids (None for a user's own key); unknown ids are absent.
    One BatchGetItem per 100 ids."""
    owners = batch_get(get_settings().table_name, _owner_keys(api_key_ids), ("org_slug",))
    return {owner["pk"].removeprefix("APIKEY#"): owner.get("org_slug") for owner in owners}


class KeyLabel(NamedTuple):
    description: str | None
    key_start: str


def labels_of(api_key_ids: set[str]) -> dict[str, KeyLabel]:
    """The description and key_start of each stored key among the ids; unknown ids are absent. Two BatchGetItems
    per 100 ids: the owner items (which hold each key's hash), then the keys."""
    owners = batch_get(get_settings().table_name, _owner_keys(api_key_ids), ("key_hash",))
    keys = [_primary_key(owner["key_hash"]) for owner in owners]
    items = batch_get(get_settings().table_name, keys, ("api_key_id", "description", "key_start"))
    return {item["api_key_id"]: KeyLabel(item.get("description"), item["key_start"]) for item in items}


def _owner_keys(api_key_ids: set[str]) -> list[dict[str, str]]:
    return [{"pk": f"APIKEY#{api_key_id}", "sk": "OWNER"} for api_key_id in sorted(api_key_ids)]


def get_keys_by_hash(kinds: dict[str, KeyKind]) -> dict[str, KeyRecord]:
    """The lookup of keys by their secret's hash and kind (the secret's prefix tells it; those stored among them),
    a product key's counters with it, in one BatchGetItem: strongly consistent, so a revocation counts from the very
    next request. Only product keys have counters to ask for (a key asked for costs a read, found or not)."""
    keys = [_primary_key(key_hash) for key_hash in kinds]
    keys += [_counters_key(key_hash) for key_hash, kind in kinds.items() if kind is KeyKind.PRODUCT]
    parts: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for item in batch_get(get_settings().table_name, keys, None, consistent=True):
        parts[item["pk"].removeprefix("KEY#")][item["sk"]] = item
    key_items = [found["KEY"] for found in parts.values() if "KEY" in found]
    records = readable(key_items, lambda item: _record(item, parts[item["key_hash"]].get("COUNTERS")))
    return {record.key_hash: record for record in records}


def get_key_by_hash(key_hash: str, kind: KeyKind) -> KeyRecord | None:
    return get_keys_by_hash({key_hash: kind}).get(key_hash)


def get_key_by_id(api_key_id: str) -> KeyRecord | None:
    with translated_errors():
        page = entity_table().query(IndexName="ById", KeyConditionExpression=Key("gsi2pk").eq(f"APIKEY#{api_key_id}"))
    return next(iter(_with_counters(page["Items"])), None)


def update_key(current: KeyRecord, changes: dict[str, Any], now: datetime) -> KeyRecord | None:
    """Applies the changes to a live key (a product key's counters on their item, the census's deltas if its state
    changes, all in one transaction); None when it was revoked meanwhile. Repeating it is harmless."""
    for _ in range(RACES):
        updated = KeyRecord.model_validate(current.model_dump() | changes)  # validated, so stored as create stores
        try:
            return _write_changes(current, updated, changes, now)
        except ConditionFailed:
            reread = _reread(current)
            if reread is None or reread.revoked_at is not None:
                return None
            current = reread
    raise Conflict("The key kept changing while this change was written; retry.")


def _write_changes(current: KeyRecord, updated: KeyRecord, changes: dict[str, Any], now: datetime) -> KeyRecord:
    stored = to_item(updated)
    on_counters = current.key_type is KeyKind.PRODUCT
    counter_changes = {name: changes[name] for name in changes if on_counters and name in COUNTERS}
    key_changes = {name: changes[name] for name in changes if name not in counter_changes}
    live: Condition = ("attribute_exists(pk) AND attribute_not_exists(revoked_at)", {}, {})
    # a change of what decides the key's state holds only on the state read, even where it changes nothing of it:
    # the key may have changed since it was read
    condition = _as_read(current) if changes.keys() & STATE_FIELDS else live
    table = entity_table()
    key_write = _update(table.name, _primary_key(current.key_hash), key_changes, stored, condition)
    census = _census_writes(current, updated, now)
    with translated_errors():
        if not counter_changes and not census:  # the key item alone: one update, which answers with the key as stored
            result = table.meta.client.update_item(**key_write["Update"], ReturnValues="ALL_NEW")
            return _with_counters([result["Attributes"]])[0]
        writes = [key_write]
        if counter_changes:
            writes.append(_update(table.name, _counters_key(current.key_hash), counter_changes, stored))
        table.meta.client.transact_write_items(TransactItems=writes + census)
    return _reread(current) or updated


def _update(
    table_name: str,
    key: dict[str, str],
    changes: dict[str, Any],
    stored: dict[str, Any],
    condition: Condition = ("attribute_exists(pk)", {}, {}),
) -> dict[str, Any]:
    """One transaction item: SET what the changes give a value, REMOVE what they clear, on the condition (its
    expression, names and values); a bare condition check when nothing changes on this item."""
    expression, condition_names, condition_values = condition
    if not changes:
        check = {"TableName": table_name, "Key": key, "ConditionExpression": expression}
        if condition_names:
            check |= {"ExpressionAttributeNames": condition_names, "ExpressionAttributeValues": condition_values}
        return {"ConditionCheck": check}
    names = {f"#{name}": name for name in changes} | condition_names
    values = {f":{name}": stored[name] for name in changes if name in stored}
    assignments = [f"#{name} = :{name}" for name in changes if f":{name}" in values]
    removals = [f"#{name}" for name in changes if f":{name}" not in values]
    values |= condition_values
    update_expression = " ".join(
        clause
        for clause in (
            "SET " + ", ".join(assignments) if assignments else "",
            "REMOVE " + ", ".join(removals) if removals else "",
        )
        if clause
    )
    update = {
        "TableName": table_name,
        "Key": key,
        "UpdateExpression": update_expression,
        "ConditionExpression": expression,
        "ExpressionAttributeNames": names,
    }
    return {"Update": update | ({"ExpressionAttributeValues": values} if values else {})}


def revoke_key(current: KeyRecord, at: datetime) -> KeyRecord:
    """Revokes the key (and moves it to `revoked` in the census from `at` on); a repeated revoke keeps the first
    revocation time and changes nothing."""
    for _ in range(RACES):
        if current.revoked_at is not None:
            return current
        revoked = current.model_copy(update={"revoked_at": at, "is_enabled": False})
        update = _set_as_read(
            current, "revoked_at = :at, #is_enabled = :false", {":at": stored_time(at), ":false": False}
        )
        try:
            with translated_errors():
                entity_table().meta.client.transact_write_items(
                    TransactItems=[update, *_census_writes(current, revoked, at)]
                )
            return _reread(current) or revoked
        except ConditionFailed:
            reread = _reread(current)
            if reread is None:
                raise
            current = reread
    raise Conflict("The key kept changing while it was being revoked; retry.")


def touch_last_used(key_hash: str, now: datetime, stale_before: datetime) -> None:
    record_use(_primary_key(key_hash), now, stale_before)


def query_key_page(
    owner: KeyOwner, *, key_type: KeyKind | None, limit: int, start: dict[str, Any] | None
) -> tuple[list[KeyRecord], dict[str, Any] | None]:
    """Up to `limit` live keys of one owner (or of every owner), oldest first, and where to go on."""
    partition = owner.partition
    if partition is None:
        query: dict[str, Any] = {"IndexName": "ByKind", "KeyConditionExpression": Key("gsi3pk").eq("KEYS")}
    else:
        query = {
            "IndexName": "ByOwner",
            "KeyConditionExpression": Key("gsi1pk").eq(partition) & Key("gsi1sk").begins_with("KEY#"),
        }
    live = Attr("revoked_at").not_exists()
    query["FilterExpression"] = live & Attr("key_type").eq(key_type.value) if key_type else live
    if start:
        query["ExclusiveStartKey"] = start
    pages = list(query_pages(entity_table(), limit=limit, **query))
    return _with_counters([item for items, _ in pages for item in items]), pages[-1][1]  # and where it goes on


def keys_of_organization(org_slug: str) -> list[KeyRecord]:
    """Every key the organization holds, its own and its APIs' product keys, revoked ones included: one Query page
    per MB of keys (about a thousand), and one BatchGetItem of counters per 100 product keys."""
    condition = Key("gsi1pk").eq(org_partition(org_slug)) & Key("gsi1sk").begins_with("KEY#")
    return _with_counters(list(query_items(entity_table(), IndexName="ByOwner", KeyConditionExpression=condition)))


def states_at(org_slug: str, *moments: datetime) -> list[Counter[str]]:
    """The organization's keys per state at each moment, and `created`: how many it had made by then. From the census
    once complete (a few dozen small items a moment); before that counted key by key (its keys read once), each in
    its state as it stands now (a key disabled now counts as disabled at any moment)."""
    if key_census.is_complete(org_slug):
        return [key_census.counts_at(org_slug, moment) for moment in moments]
    keys = keys_of_organization(org_slug)
    counted = []
    for moment in moments:
        existing = [key for key in keys if key.created_time < moment]
        counted.append(Counter(key.state_at(moment) for key in existing) + Counter({CREATED: len(existing)}))
    return counted


UNCOUNTED_PER_RUN = 1_000


def count_uncounted_keys(org_slug: str) -> bool:
    """Counts in the census up to UNCOUNTED_PER_RUN of the organization's keys stored before it, each with its life
    as it stands (a key disabled before the census counts as disabled since its creation), and marks the census
    complete once none is left; True when it is. Each key is counted in one transaction, on the condition that it is
    still uncounted and as read, so a run beside key writes or another run never counts a key twice."""
    if key_census.is_complete(org_slug):
        return True
    uncounted = [record for record in keys_of_organization(org_slug) if not record.in_census]
    raced = False
    for record in uncounted[:UNCOUNTED_PER_RUN]:
        update = _set_as_read(record, "#in_census = :now_counted", {":now_counted": True})
        census = key_census.writes(org_slug, created(life_of(record)))
        try:
            with translated_errors():
                entity_table().meta.client.transact_write_items(TransactItems=[update, *census])
        except ConditionFailed:
            raced = True  # changed meanwhile: counted on a later run
    if raced or len(uncounted) > UNCOUNTED_PER_RUN:
        return False
    key_census.mark_complete(org_slug)
    return True


def start_belongs_to(owner: KeyOwner, start: dict[str, Any]) -> bool:
    """Whether a listing position (a page's LastEvaluatedKey) is a whole position in the owner's partition: exactly
    the table's and the index's key attributes, the index's partition being the owner's."""
    partition = owner.partition
    if partition is None:
        return set(start) == {"pk", "sk", "gsi3pk", "gsi3sk"} and start["gsi3pk"] == "KEYS"
    return set(start) == {"pk", "sk", "gsi1pk", "gsi1sk"} and start["gsi1pk"] == partition


def spend(record: KeyRecord, changes: CounterChanges) -> tuple[bool, KeyRecord | None]:
    """Applies a verification's counter changes to a product key's counters item, each on the condition it was
    decided on, in one request (one write unit: no index holds the item).

    Returns (True, the key as updated), or (False, the key as it is now) with nothing changed when a condition
    failed — DynamoDB returns the current counters with the failure, so deciding to refuse or retry costs no read.
    """
    expression = render(changes)
    key_item = {name: value for name, value in to_item(record).items() if name not in COUNTERS}
    try:
        with translated_errors():
            result = entity_table().update_item(
                Key=_counters_key(record.key_hash),
                UpdateExpression=expression.update,
                ConditionExpression=expression.condition,
                ExpressionAttributeValues=expression.values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
    except ConditionFailed as failure:
        return False, _record(key_item, failure.item) if failure.item else None
    return True, _record(key_item, result["Attributes"])


@dataclass
class CounterExpression:
    """Counter changes as one UpdateItem: SET assignments, the conditions they were decided on, their values."""

    assignments: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def update(self) -> str:
        return "SET " + ", ".join(self.assignments)

    @property
    def condition(self) -> str:
        return " AND ".join(f"({condition})" for condition in self.conditions) or "attribute_exists(pk)"


def render(changes: CounterChanges) -> CounterExpression:
    expression = CounterExpression()
    assignments, conditions, values = expression.assignments, expression.conditions, expression.values
    match changes.rate_limit:
        case StartWindow(window):
            assignments.append("ratelimit_window = :window, ratelimit_count = :one")
            conditions.append("attribute_not_exists(ratelimit_window) OR ratelimit_window < :window")
            values.update({":window": window, ":one": 1})
        case CountInWindow(window, limit):
            assignments.append("ratelimit_count = ratelimit_count + :one")
            conditions.append("ratelimit_window = :window AND ratelimit_count < :limit")
            values.update({":window": window, ":one": 1, ":limit": limit})
    match changes.credits:
        case RefillCredits(balance, period):
            assignments.append("remaining = :refilled, last_refill_at = :period")
            conditions.append("attribute_not_exists(last_refill_at) OR last_refill_at < :period")
            values.update({":refilled": balance, ":period": stored_time(period)})
        case SpendCredits(cost, refilled_in):
            assignments.append("remaining = remaining - :cost")
            conditions.append("remaining >= :cost")
            values[":cost"] = cost
            if refilled_in is not None:  # the balance decided on must not have been refilled meanwhile
                conditions.append("last_refill_at >= :period")
                values[":period"] = stored_time(refilled_in)
    if changes.last_used_at is not None:
        assignments.append("last_used_at = :now")
        values[":now"] = stored_time(changes.last_used_at)
    return expression
