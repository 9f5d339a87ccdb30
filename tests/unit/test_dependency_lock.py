"""The layer's lock (layers/shared/requirements.txt) holds what requirements.in asks for: each direct dependency at
its pinned version, and every package with the hashes pip checks (`make lock` writes it)."""

from __future__ import annotations

import re
from pathlib import Path

LAYER = Path(__file__).resolve().parents[2] / "layers" / "shared"
PIN = re.compile(r"^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==([^\s\\;]+)", re.MULTILINE)


def pins(text: str) -> dict[str, str]:
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in PIN.findall(text)}


def test_the_lock_pins_every_direct_dependency_at_its_version_with_hashes():
    wanted = pins((LAYER / "requirements.in").read_text())
    lock = (LAYER / "requirements.txt").read_text()
    locked = pins(lock)
    assert wanted and {name: locked.get(name) for name in wanted} == wanted
    entries = re.split(r"\n(?=[A-Za-z0-9])", lock.split("\n", 3)[3].strip())
    assert len(entries) == len(locked) > len(wanted)  # the dependencies' dependencies too
    for entry in entries:
        assert "--hash=sha256:" in entry, entry.splitlines()[0]
