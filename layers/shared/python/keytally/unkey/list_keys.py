"""Unkey's apis.listKeys (v1 and v2): an API's live keys, oldest first, a page at a time (storage/api_listing.py).

`externalId` (v1 also `ownerId`) lists one identity's keys. v1 answers `total`, the API's live keys (whatever the
identity asked); a cursor is given while more follow (v2: `pagination.hasMore`). `decrypt: true` is a 400 (keytally
keeps only hashes); `revalidateKeysCache` is accepted and changes nothing (keytally keeps no key cache to revalidate).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from keytally.api_keys.models import ExternalId
from keytally.fields import ID_PATTERN
from keytally.unkey.keys import V1Key, V2Key
from keytally.unkey.responses import V2Meta, optional

LIMIT = Field(100, ge=1, le=100, description="Keys a page, at most 100.")
Cursor = Field(None, min_length=1, max_length=1000, description="Where the page begins: the last page's cursor.")


class V2ListKeys(BaseModel):
    model_config = ConfigDict(extra="forbid")

    apiId: str = Field(min_length=1, max_length=50, pattern=ID_PATTERN)
    limit: StrictInt = LIMIT
    cursor: str | None = Cursor
    externalId: ExternalId | None = None
    decrypt: Literal[False] = Field(False, description="keytally keeps only a hash of each key: true is a 400.")
    revalidateKeysCache: StrictBool = Field(False, description="Accepted; keytally keeps no cache of keys.")


class V1KeyList(BaseModel):
    keys: list[V1Key]
    cursor: str | None = optional("Where the next page begins; absent on the last page.")
    total: int = Field(description="The API's live keys.")


class V2Pagination(BaseModel):
    cursor: str | None = optional("Where the next page begins; absent on the last page.")
    hasMore: bool


class V2KeyList(BaseModel):
    meta: V2Meta
    data: list[V2Key]
    pagination: V2Pagination
