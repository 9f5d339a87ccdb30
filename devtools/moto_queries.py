"""Queries on the embedded DynamoDB at DynamoDB's cost shape: a base-table Query reads its own partition only.

moto 5.2.5 answers every Query page by sorting the whole table, comparing DynamoType objects that re-cast their
values on each comparison, then filtering to the asked partition — O(table) Python work per page, so a rollup of
30 days of 200k events did not finish in hours. `install()` changes how moto finds the items, never which items
or in what order: a base-table Query starts from its partition's own items, and every sort casts each key once.
Other moto versions are left alone (correct, only slower); tests/unit/test_moto_queries.py compares answers.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

PATCHED_VERSION = "5.2.5"
_QUERY_INDEX_NAME_POSITION = 7  # Table.query(self, hash_key, ..., projection_expressions, index_name, ...)
_partition_asked: ContextVar[Any] = ContextVar("partition_asked", default=None)


_PATCHED = ("query", "all_items", "sorted_items")
_originals: dict[str, Any] = {}


def install() -> bool:
    """Patches moto's Table in this process; returns whether it did (only the version this was written against)."""
    import moto
    from moto.dynamodb.models.table import Table

    if moto.__version__ != PATCHED_VERSION:
        return False
    if _originals:
        return True
    _originals.update({name: getattr(Table, name) for name in _PATCHED})
    original_query = _originals["query"]

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        index_name = args[_QUERY_INDEX_NAME_POSITION] if len(args) > _QUERY_INDEX_NAME_POSITION else None
        if kwargs.get("index_name", index_name) or not self.range_key_attr:
            return original_query(self, *args, **kwargs)
        token = _partition_asked.set(args[0] if args else kwargs["hash_key"])
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _partition_asked.reset(token)

    def all_items(self: Table) -> list[Any]:
        partition = _partition_asked.get()
        if partition is not None:  # only inside a base-table Query, which keeps just this partition's items
            return sorted(self.items.get(partition, {}).values(), key=lambda item: item.range_key.cast_value)
        if self.range_key_attr:
            return sorted((item for by_range in self.items.values() for item in by_range.values()), key=_table_order)
        return sorted(self.items.values(), key=_table_order)

    def sorted_items(
        self: Table, hash_key_attrs: list[str], range_key_attrs: list[str | None], items: list[Any]
    ) -> Any:
        attributes = self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
        items.sort(key=lambda item: tuple(item.attrs[name].cast_value for name in attributes))
        return items

    for name, replacement in zip(_PATCHED, (query, all_items, sorted_items), strict=True):
        setattr(Table, name, replacement)
    return True


def uninstall() -> None:
    """moto's own Table again (the test compares both)."""
    from moto.dynamodb.models.table import Table

    for name, original in _originals.items():
        setattr(Table, name, original)
    _originals.clear()


def _table_order(item: Any) -> Any:
    """moto's own order (hash key, then range key), with each value cast once instead of on every comparison."""
    return (item.hash_key.cast_value, item.range_key.cast_value) if item.range_key else item.hash_key.cast_value
