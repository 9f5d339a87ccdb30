"""docs/openapi.json is the document the local API serves at /v1/openapi.json: `python -m devtools.openapi` writes it,
`python -m devtools.openapi --check` (run by `make check`) fails when the committed one differs from what is served."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from devtools.template import PROJECT_ROOT

COMMITTED = PROJECT_ROOT / "docs" / "openapi.json"


def served_document() -> dict[str, Any]:
    """The document as a client of template.yaml's routes gets it (no data store is needed to serve it)."""
    from werkzeug.test import Client

    from devtools.local_api import LocalApi
    from devtools.template import Template

    response = Client(LocalApi(Template())).get("/v1/openapi.json")
    if response.status_code != 200:
        raise RuntimeError(f"/v1/openapi.json answered {response.status_code}: {response.get_data(as_text=True)}")
    return json.loads(response.get_data())


def as_committed(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.openapi", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare with docs/openapi.json instead of writing it")
    args = parser.parse_args(argv)
    served = as_committed(served_document())
    relative = COMMITTED.relative_to(PROJECT_ROOT)
    if not args.check:
        COMMITTED.write_text(served, encoding="utf-8")
        print(f"wrote {relative}")
        return 0
    if COMMITTED.is_file() and COMMITTED.read_text(encoding="utf-8") == served:
        return 0
    print(f"{relative} differs from the served /v1/openapi.json: run `make openapi` and commit it", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
