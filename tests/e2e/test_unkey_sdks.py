"""Unkey's own SDKs, unmodified, against `keytally dev`: tests/sdk/*.test.mjs run with `node --test`, from the npm
packages tests/sdk/package-lock.json locks (@unkey/api 0.38.0 for Unkey's v1 API, 2.x for v2), and
tests/sdk/python/unkey_v*.py with pytest in the Python SDK's own environment (the Makefile's UNKEY_PY: unkey.py 0.10.0
for v1, 3.2.2 for v2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dev_stack import demo_key

SDK_TESTS = Path(__file__).parents[1] / "sdk"


def test_unkeys_sdks_verify_keytallys_keys(dev_server):
    base, printed = dev_server
    env = {**os.environ, "KEYTALLY_URL": base, "KEYTALLY_ROOT_KEY": demo_key(printed, "organization key of acme-org")}
    run = subprocess.run(
        ["node", "--test", "--test-reporter=tap"], cwd=SDK_TESTS, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "\n# fail 0\n" in run.stdout and "\n# pass 0\n" not in run.stdout, run.stdout[-2000:]


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_unkeys_python_sdks(dev_server, version):
    base, printed = dev_server
    env = {**os.environ, "KEYTALLY_URL": base, "KEYTALLY_ROOT_KEY": demo_key(printed, "organization key of acme-org")}
    python = Path(sys.prefix) / "unkey-py" / version / "bin" / "python"
    run = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"unkey_{version}.py"],
        cwd=SDK_TESTS / "python",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
