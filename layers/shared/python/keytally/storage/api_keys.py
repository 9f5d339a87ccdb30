"""API keys in the entity table: stored under their SHA-256, found by id and listed by owner.

Item `KEY#{sha256}` / `KEY`; index ByOwner `ORG#{slug}` or `USER#{id}` / `KEY#{created}#{id}`; ById `APIKEY#{id}`;
ByKind `KEYS` / `{created}#{id}` (every key, for staff). Beside it, written in the same transaction, the key's
owner item `APIKEY#{id}` / `OWNER` (its organization and its hash), so that many ids resolve in one BatchGetItem,
and a product key's counter shards (storage/key_counters.py). Every read of a product key reads its counters too,
summed over its shards; every change of a split key raises its version on the key and every shard at once.

An organization's key (its own or a product key) flagged `in_census` is counted in the organization's key census
(storage/key_census.py): whatever changes its state — creation, enabling, expiry, revocation — adds its deltas in the
same transaction, on the condition that the key is still as read (a write that lost a race reads again and retries).
Keys stored before the census are counted once by `count_uncounted_keys`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any, NamedTuple

from boto3.dynamodb.conditions import Attr, Key

from keytally.errors import Conflict
from keytally.models import KeyKind, KeyRecord, ShardCounters
from keytally.settings import get_settings
from keytally.storage import api_listing, key_census
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
from keytally.storage.key_counters import (
    COUNTERS,
    KEEP,
    change_writes,
    counters_key,
    exactly,
    layout,
    shard_items,
    shard_key,
    shard_of,
    summed,
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


def _primary_key(key_hash: str) -> dict[str, str]:
    return {"pk": f"KEY#{key_hash}", "sk": "KEY"}


def _counter_keys(key_item: dict[str, Any]) -> list[dict[str, str]]:
    """The keys of a product key's counter shards (none for other keys)."""
    if key_item["key_type"] != KeyKind.PRODUCT.value:
        return []
    apart = int(key_item.get("state_version", 0)) > 0
    shards = range(int(key_item.get("counter_shards", 1)))
    return [counters_key(key_item["key_hash"], index, apart=apart) for index in shards]


def _record(key_item: dict[str, Any], counter_items: list[dict[str, Any]]) -> KeyRecord:
    """A key as one record: its item, and a product key's counters summed over its shards' items."""
    record = KeyRecord.model_validate(key_item)
    if not counter_items:
        return record
    shards: list[ShardCounters | None] = [None] * record.counter_shards
    for item in counter_items:
        if shard_of(item) < record.counter_shards:
            shards[shard_of(item)] = ShardCounters.model_validate(item)
    return summed(record, shards)


def _counter_items(key_items: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The counter items of the product keys among the key items, by key hash: one BatchGetItem per 100 shards."""
    keys = [key for item in key_items for key in _counter_keys(item)]
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in batch_get(get_settings().table_name, keys, None):
        found[item["pk"].split("#")[1]].append(item)
    return found


def _with_counters(key_items: list[dict[str, Any]]) -> list[KeyRecord]:
    """Key items as records, the product keys' counters read beside them; an unreadable one left out."""
    counters = _counter_items(key_items)
    return readable(key_items, lambda item: _record(item, counters.get(item["key_hash"], [])))


def put_key(record: KeyRecord) -> None:
    """Stores a new key, its owner item and a product key's counter shards (and an organization's key in its
    census), all or nothing. Retrying a create stores another key (a new secret); never overwrites one."""
    counted = record.org_slug is not None
    product = record.key_type is KeyKind.PRODUCT
    record = record.model_copy(
        update={"in_census": counted, "state_version": 1 if record.counter_shards > 1 else 0, "listed": product}
    )
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
    listing = []
    if product:
        for name in COUNTERS:
            item.pop(name, None)
        item |= api_listing.key_attributes(record)
        owner |= api_listing.owner_attributes(record)
        items += shard_items(record, layout(record, record.counter_shards))
        listing.append(api_listing.count_write(record, 1))
    table = entity_table()
    puts = [{"Put": {"TableName": table.name, "Item": stored, "ConditionExpression": NEW_ITEM}} for stored in items]
    census = key_census.writes(record.org_slug, created(life_of(record))) if record.org_slug is not None else []
    with translated_errors():
        table.meta.client.transact_write_items(TransactItems=puts + listing + census)


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


def _set_as_read(record: KeyRecord, assignments: str, values: dict[str, Any], *, bump: bool = False) -> dict[str, Any]:
    """A transaction item setting `assignments` on the key item (and raising its state version when `bump`), on the
    condition that it is still as read."""
    expression, names, condition_values = _as_read(record)
    if bump:
        assignments += " ADD state_version :one"
        values = values | {":one": 1}
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
    keys += [counters_key(key_hash) for key_hash, kind in kinds.items() if kind is KeyKind.PRODUCT]
    key_items, counters = _split_read(keys, consistent=True)
    records = readable(key_items, lambda item: _record(item, counters.get(item["key_hash"], [])))
    for record in records:
        _note_split(record)
    return {record.key_hash: record for record in records}


def _split_read(
    keys: list[dict[str, str]], *, consistent: bool
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Key items and counter shards in one BatchGetItem; then the shards of split keys it did not ask for."""
    key_items: list[dict[str, Any]] = []
    counters: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in batch_get(get_settings().table_name, keys, None, consistent=consistent):
        if item["sk"] == "KEY":
            key_items.append(item)
        else:
            counters[item["pk"].split("#")[1]].append(item)
    asked = {(key["pk"], key["sk"]) for key in keys}
    missing = [key for item in key_items for key in _counter_keys(item) if (key["pk"], key["sk"]) not in asked]
    for item in batch_get(get_settings().table_name, missing, None, consistent=consistent):
        counters[item["pk"].split("#")[1]].append(item)
    return key_items, counters


SPLIT_KEYS: dict[str, int] = {}  # hash -> counter shards of the split keys this container has read
REMEMBERED = 10_000


def split_shards(key_hash: str) -> int | None:
    """The counter shards of a key this container has read split (storage/key_counters.py); None: not known split."""
    return SPLIT_KEYS.get(key_hash)


def _note_split(record: KeyRecord) -> None:
    if record.state_version > 0:
        if len(SPLIT_KEYS) >= REMEMBERED and record.key_hash not in SPLIT_KEYS:
            SPLIT_KEYS.clear()
        SPLIT_KEYS[record.key_hash] = record.counter_shards


def get_split_key(key_hash: str, *, consistent: bool) -> tuple[KeyRecord | None, list[ShardCounters | None]]:
    """A product key with each of its counter shards as stored (None where one is missing), in one request with the
    key when this container knows how many it has; eventually consistent unless asked."""
    shards = SPLIT_KEYS.get(key_hash, 1)
    keys = [_primary_key(key_hash), *(counters_key(key_hash, index, apart=True) for index in range(shards))]
    key_items, counters = _split_read(keys, consistent=consistent)
    records = readable(key_items, lambda item: KeyRecord.model_validate(item))
    if not records:
        return None, []
    record = records[0]
    _note_split(record)
    found: list[ShardCounters | None] = [None] * record.counter_shards
    for item in counters.get(key_hash, []):
        if shard_of(item) < record.counter_shards:
            found[shard_of(item)] = ShardCounters.model_validate(item)
    return record, found


def get_key_by_hash(key_hash: str, kind: KeyKind) -> KeyRecord | None:
    return get_keys_by_hash({key_hash: kind}).get(key_hash)


def get_key_by_id(api_key_id: str) -> KeyRecord | None:
    with translated_errors():
        page = entity_table().query(IndexName="ById", KeyConditionExpression=Key("gsi2pk").eq(f"APIKEY#{api_key_id}"))
    return next(iter(_with_counters(page["Items"])), None)


def update_key(current: KeyRecord, changes: dict[str, Any], now: datetime) -> KeyRecord | None:
    """Applies the changes to a live key (a product key's counters on their item, the census's deltas if its state
    changes, all in one transaction); None when it was revoked meanwhile. Repeating it is harmless. A new
    `counter_shards` is written first, in its own transaction (a retry after the rest failed finds it done)."""
    changes = dict(changes)
    if "counter_shards" in changes:
        resplit = _resplit(current, changes.pop("counter_shards"), now)
        if resplit is None or not changes:
            return resplit
        current = resplit
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


def _resplit(current: KeyRecord, shards: int, now: datetime) -> KeyRecord | None:
    """Lays the key's counters over `shards` items (storage/key_counters.py) in one transaction: the key's count and
    version, every new shard written and every shard left deleted, each on the condition that it is exactly as read,
    a due refill counted as made. A verification spending meanwhile fails it: it reads again (409 after RACES)."""
    for _ in range(RACES):
        record, stored_shards = get_split_key(current.key_hash, consistent=True)
        if record is None or record.revoked_at is not None:
            return None
        if record.counter_shards == shards:
            return summed(record, stored_shards)
        totals = summed(record, stored_shards, now).model_copy(update={"state_version": record.state_version + 1})
        table = entity_table()
        key_write = _set_as_read(
            record,
            "counter_shards = :shards, state_version = :version",
            {":shards": shards, ":version": totals.state_version},
        )
        key_write["Update"]["ConditionExpression"] += (
            " AND (attribute_not_exists(counter_shards) OR counter_shards = :was)"
        )
        key_write["Update"]["ExpressionAttributeValues"][":was"] = record.counter_shards
        writes = [key_write]
        was = {_at(shard_key(record, index)): shard for index, shard in enumerate(stored_shards)}
        laid = {_at(item): item for item in shard_items(totals, layout(totals, shards))}
        for at in was.keys() | laid.keys():
            expression, names, values = exactly(was.get(at))
            write: dict[str, Any] = {"TableName": table.name, "ConditionExpression": expression}
            if names:
                write |= {"ExpressionAttributeNames": names, "ExpressionAttributeValues": values}
            if at in laid:
                writes.append({"Put": write | {"Item": laid[at]}})
            else:
                writes.append({"Delete": write | {"Key": {"pk": at[0], "sk": at[1]}}})
        try:
            with translated_errors():
                table.meta.client.transact_write_items(TransactItems=writes)
        except ConditionFailed:
            continue
        return _reread(record)
    raise Conflict("The key kept being verified while its counters were laid out anew; retry.")


def _at(key: dict[str, str]) -> tuple[str, str]:
    return key["pk"], key["sk"]


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
    split = current.state_version > 0
    key_write = _update(table.name, _primary_key(current.key_hash), key_changes, stored, condition, bump=split)
    besides = _census_writes(current, updated, now)
    if current.listed and "external_id" in changes:  # the key moves to its new identity's listing
        besides.append(api_listing.owner_write(updated, True))
    with translated_errors():
        if not counter_changes and not besides and not split:  # the key item alone: one update, which answers
            result = table.meta.client.update_item(**key_write["Update"], ReturnValues="ALL_NEW")
            return _with_counters([result["Attributes"]])[0]
        writes = [key_write]
        if split:
            writes += change_writes(current, counter_changes.get("remaining", KEEP))
        elif counter_changes:
            writes.append(_update(table.name, shard_key(current, 0), counter_changes, stored))
        table.meta.client.transact_write_items(TransactItems=writes + besides)
    return _reread(current) or updated


def _update(
    table_name: str,
    key: dict[str, str],
    changes: dict[str, Any],
    stored: dict[str, Any],
    condition: Condition = ("attribute_exists(pk)", {}, {}),
    *,
    bump: bool = False,
) -> dict[str, Any]:
    """One transaction item: SET what the changes give a value, REMOVE what they clear, ADD one to the state
    version when `bump`, on the condition (its expression, names and values); a bare condition check when nothing
    changes on this item."""
    expression, condition_names, condition_values = condition
    if not changes and not bump:
        check = {"TableName": table_name, "Key": key, "ConditionExpression": expression}
        if condition_names:
            check |= {"ExpressionAttributeNames": condition_names, "ExpressionAttributeValues": condition_values}
        return {"ConditionCheck": check}
    names = {f"#{name}": name for name in changes} | condition_names
    values = {f":{name}": stored[name] for name in changes if name in stored}
    assignments = [f"#{name} = :{name}" for name in changes if f":{name}" in values]
    removals = [f"#{name}" for name in changes if f":{name}" not in values]
    values |= condition_values | ({":one": 1} if bump else {})
    update_expression = " ".join(
        clause
        for clause in (
            "SET " + ", ".join(assignments) if assignments else "",
            "REMOVE " + ", ".join(removals) if removals else "",
            "ADD state_version :one" if bump else "",
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
        unlisting = " REMOVE gsi4pk, gsi4sk" if current.listed else ""  # (leaves its API's listing and count)
        update = _set_as_read(
            current,
            "revoked_at = :at, #is_enabled = :false" + unlisting,
            {":at": stored_time(at), ":false": False},
            bump=current.state_version > 0,
        )
        listing = [api_listing.owner_write(current, False), api_listing.count_write(current, -1)] if unlisting else []
        try:
            with translated_errors():
                entity_table().meta.client.transact_write_items(
                    TransactItems=[update, *listing, *_split_writes(current), *_census_writes(current, revoked, at)]
                )
            return _reread(current) or revoked
        except ConditionFailed:
            reread = _reread(current)
            if reread is None:
                raise
            current = reread
    raise Conflict("The key kept changing while it was being revoked; retry.")


def _split_writes(record: KeyRecord) -> list[dict[str, Any]]:
    return change_writes(record) if record.state_version else []


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


def list_api_keys(
    api_id: str, external_id: str | None, limit: int, start: dict[str, str] | None
) -> tuple[list[KeyRecord], dict[str, str] | None]:
    """A page of an API's live product keys (or of one identity's in it), oldest first, and where the next begins
    (None: no more): one Query of the index, one BatchGetItem of keys and one of counters per 100 keys. A key revoked
    between the two reads is left out."""
    hashes, after = api_listing.page(api_id, external_id, limit, start)
    items = batch_get(get_settings().table_name, [_primary_key(key_hash) for key_hash in hashes], None)
    records = {record.key_hash: record for record in _with_counters(items)}
    return [records[key_hash] for key_hash in hashes if key_hash in records and not records[key_hash].revoked_at], after


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
