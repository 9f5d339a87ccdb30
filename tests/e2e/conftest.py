"""The end-to-end tests' fixture: `keytally dev` as a real process, one per test module (make test's pytest-xdist runs
a file's tests on one worker, `--dist loadfile`, so each module starts its server once)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dev_stack import running_dev_server


@pytest.fixture(scope="module")
def dev_server() -> Iterator[tuple[str, str]]:
    yield from running_dev_server()
