"""The end-to-end tests' fixture: `keytally dev` as a real process, one per test module; a module's tests run on one
pytest-xdist worker (`--dist loadgroup`), so each module starts its server once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dev_stack import running_dev_server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """(Called with every collected item, not only this folder's.)"""
    here = Path(__file__).parent
    for item in items:
        if item.path.parent == here:
            item.add_marker(pytest.mark.xdist_group(item.path.stem))


@pytest.fixture(scope="module")
def dev_server() -> Iterator[tuple[str, str]]:
    yield from running_dev_server()
