"""One implementation of a storage protocol in force at a time: the one it was made with (DynamoDB's) until `use`
installs another."""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Installed(Generic[T]):
    def __init__(self, default: T) -> None:
        self._current = default

    def current(self) -> T:
        return self._current

    def use(self, implementation: T) -> T:
        """Installs `implementation` for every later `current()`; returns the one it replaces."""
        replaced, self._current = self._current, implementation
        return replaced
