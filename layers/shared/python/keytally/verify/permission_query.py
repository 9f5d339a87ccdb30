"""What a verification asks of a key's permissions: a name, or every one / any one of several queries.

Spelled three ways, one meaning: keytally's and Unkey v1's list (every name), Unkey v1's object
(`{"and": [...]}`, `{"or": [...]}`, nested, or a name), and Unkey v2's text (`a.read AND (b OR c)`: AND binds
tighter than OR, parentheses group, names match exactly). A malformed query is a ValueError naming where.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, NamedTuple

NAME = re.compile(r"[A-Za-z0-9_:.*\-]+")
MAX_DEPTH = 10
_TOKEN = re.compile(r"\s*(?:(\()|(\))|(" + NAME.pattern + r"))")


class PermissionQuery(NamedTuple):
    """One permission `name`, or every one ("and") / any one ("or") of `parts` (none: every key satisfies it)."""

    operator: Literal["name", "and", "or"]
    name: str = ""
    parts: tuple[PermissionQuery, ...] = ()

    def satisfied_by(self, permissions: Iterable[str]) -> bool:
        return self._holds(frozenset(permissions))

    def _holds(self, held: frozenset[str]) -> bool:
        if self.operator == "name":
            return self.name in held
        results = (part._holds(held) for part in self.parts)
        return all(results) if self.operator == "and" else any(results)


NOTHING = PermissionQuery("and")  # asks for nothing: every key satisfies it
_Parser = Callable[[list[str], int, int], tuple[PermissionQuery, int]]


def every(names: Iterable[str]) -> PermissionQuery:
    return PermissionQuery("and", parts=tuple(PermissionQuery("name", name=name) for name in names))


def from_object(query: Any, depth: int = 0) -> PermissionQuery:
    """Unkey v1's `authorization.permissions`: a name, or `{"and": [...]}` / `{"or": [...]}` of queries."""
    if depth > MAX_DEPTH:
        raise ValueError(f"permissions: nested deeper than {MAX_DEPTH} levels")
    if isinstance(query, str):
        if not NAME.fullmatch(query):
            raise ValueError(f"permissions: '{query[:64]}' is not a permission name")
        return PermissionQuery("name", name=query)
    if isinstance(query, Mapping) and len(query) == 1:
        ((operator, parts),) = query.items()
        if operator in ("and", "or") and isinstance(parts, list) and parts:
            return PermissionQuery(operator, parts=tuple(from_object(part, depth + 1) for part in parts))
    raise ValueError('permissions: a name, or an object {"and": [...]} or {"or": [...]} of one or more queries')


def parse(text: str) -> PermissionQuery:
    """Unkey v2's `permissions`: names joined by AND / OR (case-insensitive), grouped by parentheses."""
    tokens = _tokens(text)
    query, position = _or(tokens, 0, 0)
    if position != len(tokens):
        raise ValueError(f"permissions: unexpected '{tokens[position]}' after a complete query")
    return query


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"permissions: unexpected '{text[position:].strip()[:16]}' at character {position + 1}")
        tokens.append(match.group(match.lastindex or 0))
        position = match.end()
    if not tokens:
        raise ValueError("permissions: empty query")
    return tokens


def _or(tokens: list[str], position: int, depth: int) -> tuple[PermissionQuery, int]:
    return _joined("or", _and, tokens, position, depth)


def _and(tokens: list[str], position: int, depth: int) -> tuple[PermissionQuery, int]:
    return _joined("and", _operand, tokens, position, depth)


def _joined(
    operator: Literal["and", "or"], operand: _Parser, tokens: list[str], position: int, depth: int
) -> tuple[PermissionQuery, int]:
    """One or more operands joined by `operator` (in either case)."""
    parts = []
    while True:
        part, position = operand(tokens, position, depth)
        parts.append(part)
        if position < len(tokens) and tokens[position].lower() == operator:
            position += 1
            continue
        return (parts[0] if len(parts) == 1 else PermissionQuery(operator, parts=tuple(parts))), position


def _operand(tokens: list[str], position: int, depth: int) -> tuple[PermissionQuery, int]:
    if position >= len(tokens):
        raise ValueError("permissions: the query ends where a permission or '(' was expected")
    token = tokens[position]
    if token == "(":
        if depth >= MAX_DEPTH:
            raise ValueError(f"permissions: nested deeper than {MAX_DEPTH} levels")
        query, position = _or(tokens, position + 1, depth + 1)
        if position >= len(tokens) or tokens[position] != ")":
            raise ValueError("permissions: a '(' is not closed")
        return query, position + 1
    if token == ")" or token.upper() in ("AND", "OR"):
        raise ValueError(f"permissions: '{token}' where a permission or '(' was expected")
    return PermissionQuery("name", name=token), position + 1
