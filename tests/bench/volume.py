"""`make bench`'s two volumes: quick (the default: every section in minutes) and full (`VOLUME=full`: the long
histories and runs, over an hour). A section keeps its shape at both and only its sizes change: each size is a
Sized, and the section's heading states the sizes it ran at and those of the other volume.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

T = TypeVar("T")


class Volume(str, Enum):
    QUICK = "quick"
    FULL = "full"


@dataclass(frozen=True)
class Sized(Generic[T]):
    """One size of a section at each volume."""

    quick: T
    full: T

    def at(self, volume: Volume) -> T:
        return self.full if volume is Volume.FULL else self.quick


def heading(number: int, title: str, volume: Volume, sizes: dict[str, Sized] | None = None) -> str:
    """A section's first line: its number and title, then the volume it ran at with the sizes that volume gives and
    those of the other volume. `sizes` maps each size's label to its Sized: "verifications" reads "500
    verifications", a label with {} in it takes the size there ("traffic every {} hours")."""
    if not sizes:
        return f"{number}. {title} [volume {volume.value}; the same at both volumes]"
    other = Volume.FULL if volume is Volume.QUICK else Volume.QUICK
    return f"{number}. {title} [volume {volume.value}: {_sizes(sizes, volume)}; {other.value}: {_sizes(sizes, other)}]"


def _sizes(sizes: dict[str, Sized], volume: Volume) -> str:
    return ", ".join(_labelled(label, _shown(size.at(volume))) for label, size in sizes.items())


def _labelled(label: str, shown: str) -> str:
    return label.format(shown) if "{}" in label else f"{shown} {label}"


def _shown(size: object) -> str:
    if isinstance(size, tuple):
        return " and ".join(map(_shown, size))
    return f"{size:,}" if isinstance(size, int) else str(size)
