"""`make bench DOCS=1`: puts each section's printed report into docs/benchmarks.md, between the section's markers
`<!-- bench:NAME -->` and `<!-- /bench:NAME -->`, as a text block headed by the command, volume and date that
produced it; nothing else in the file changes. Measures nothing itself.
"""

from __future__ import annotations

import re
from datetime import date

from volume import Volume

from devtools.template import PROJECT_ROOT

DOCS_NAME = "docs/benchmarks.md"
DOCS = PROJECT_ROOT / DOCS_NAME


def _block(name: str) -> re.Pattern[str]:
    """The marked block of the section, its markers included."""
    return re.compile(rf"<!-- bench:{re.escape(name)} -->\n.*?<!-- /bench:{re.escape(name)} -->", re.DOTALL)


def unmarked(names: list[str]) -> list[str]:
    """The sections without a marked block in the docs (all of them when the docs are missing)."""
    text = DOCS.read_text() if DOCS.exists() else ""
    return [name for name in names if not _block(name).search(text)]


def write(name: str, report: str, volume: Volume, day: date) -> None:
    """Replaces the section's block with its report."""
    command = f"make bench ONLY={name}" + (" VOLUME=full" if volume is Volume.FULL else "")
    block = (
        f"<!-- bench:{name} -->\n"
        f"`{command}` at volume {volume.value}, {day.isoformat()} (written here by `DOCS=1`):\n\n"
        f"```text\n{report.strip()}\n```\n"
        f"<!-- /bench:{name} -->"
    )
    text, replaced = _block(name).subn(lambda _: block, DOCS.read_text(), count=1)
    if not replaced:
        raise ValueError(f"{DOCS_NAME} has no <!-- bench:{name} --> block")
    DOCS.write_text(text)
