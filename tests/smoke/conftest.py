"""The smoke test's deployment: the one KEYTALLY_URL and KEYTALLY_ORG_KEY name (a deployed stack's ApiUrl, and an
organization key with the keys, verify, analytics, events and metrics scopes), else `keytally dev` started here with
its demo organization's key."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def deployment() -> Iterator[tuple[str, str]]:
    """(base URL, organization key)."""
    if os.environ.get("KEYTALLY_URL"):
        yield os.environ["KEYTALLY_URL"].rstrip("/"), os.environ["KEYTALLY_ORG_KEY"]
        return
    sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))
    from dev_stack import demo_key, running_dev_server

    for base, output in running_dev_server():
        assert re.search(r"organization key of acme-org", output)
        yield base, demo_key(output, "organization key of acme-org")
