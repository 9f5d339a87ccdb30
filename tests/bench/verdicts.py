"""`make bench`'s verdicts: every target a section judges is recorded here, as (section, target, measured, PASS or
MISS), and the run ends with their summary; one MISS makes the run fail. Only counts are judged (requests, items,
write units, instruction ratios, events counted); a wall-clock figure is reported, never a target.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    section: str
    target: str
    measured: str
    passed: bool

    @property
    def word(self) -> str:
        return "PASS" if self.passed else "MISS"


RECORDED: list[Verdict] = []
_running = ["(no section)"]  # the section whose verdicts are being recorded


@contextmanager
def section(name: str) -> Iterator[None]:
    """Verdicts recorded inside belong to the named section."""
    _running.append(name)
    try:
        yield
    finally:
        _running.pop()


def verdict(passed: bool, target: str, measured: object) -> str:
    """Records a judged target of the running section (`target` says what and the bound, `measured` what was found)
    and returns PASS or MISS for its report line."""
    recorded = Verdict(_running[-1], target, str(measured), passed)
    RECORDED.append(recorded)
    return recorded.word


def summary(verdicts: list[Verdict]) -> list[str]:
    """`N targets: X pass, Y miss`, then each miss."""
    misses = [judged for judged in verdicts if not judged.passed]
    lines = [f"{len(verdicts)} targets: {len(verdicts) - len(misses)} pass, {len(misses)} miss"]
    lines += [f"  MISS  {miss.section}: {miss.target}; measured {miss.measured}" for miss in misses]
    return lines
