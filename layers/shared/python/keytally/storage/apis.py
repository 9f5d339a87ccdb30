"""APIs (keyspaces for product keys) in the entity table: `ORG#{slug}` / `API#{api_id}`, index ById `API#{api_id}`."""

from __future__ import annotations

from boto3.dynamodb.conditions import Key

from keytally.errors import Conflict
from keytally.models import ApiRecord
from keytally.storage.accounts import NEW_ITEM
from keytally.storage.dynamodb import (
    ConditionFailed,
    entity_table,
    org_partition,
    query_items,
    readable,
    to_item,
    translated_errors,
)


def create_api(api: ApiRecord) -> None:
    item = to_item(api, pk=org_partition(api.org_slug), sk=f"API#{api.api_id}", gsi2pk=f"API#{api.api_id}")
    try:
        with translated_errors():
            entity_table().put_item(Item=item, ConditionExpression=NEW_ITEM)
    except ConditionFailed as error:
        raise Conflict(f"API '{api.api_id}' already exists.") from error


def list_apis(org_slug: str) -> list[ApiRecord]:
    condition = Key("pk").eq(org_partition(org_slug)) & Key("sk").begins_with("API#")
    return readable(query_items(entity_table(), KeyConditionExpression=condition), ApiRecord.model_validate)


def get_api(api_id: str) -> ApiRecord | None:
    with translated_errors():
        page = entity_table().query(IndexName="ById", KeyConditionExpression=Key("gsi2pk").eq(f"API#{api_id}"))
    return next(iter(readable(page["Items"], ApiRecord.model_validate)), None)
