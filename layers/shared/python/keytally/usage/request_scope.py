"""What the API request being served is about: who called, which organization it acted in, the events it left.

The resolver opens a scope per request and, once the response is built, stores the scope's events together with
the request event in one write. Code running outside a request (the CLI, the rollup) has no scope.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from keytally.auth.principal import Principal
from keytally.models import KeyRecord
from keytally.timeseries.records import Event


@dataclass
class RequestScope:
    principal: Principal | None = None  # set once the caller is authenticated
    org_slug: str | None = None  # the organization the request named or reached, once known
    events: list[Event] = field(default_factory=list)  # to be stored with the request event
    keys: dict[str, KeyRecord | None] = field(default_factory=dict)  # looked up with the caller's key: hash -> key


_current: ContextVar[RequestScope | None] = ContextVar("keytally_request_scope", default=None)


@contextlib.contextmanager
def opened() -> Iterator[RequestScope]:
    scope = RequestScope()
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


def current() -> RequestScope | None:
    return _current.get()


def note_caller(principal: Principal) -> None:
    if (scope := _current.get()) is not None:
        scope.principal = principal


def note_keys(keys: dict[str, KeyRecord | None]) -> None:
    if (scope := _current.get()) is not None:
        scope.keys.update(keys)


def keys_looked_up() -> dict[str, KeyRecord | None]:
    """Keys this request has read already, by hash (None: no such key), as of its authentication."""
    scope = _current.get()
    return scope.keys if scope is not None else {}


def note_organization(org_slug: str) -> None:
    if (scope := _current.get()) is not None:
        scope.org_slug = org_slug
