"""The dashboard function: keytally's web dashboard, its page at /dashboard and the page's assets at
/dashboard/assets/{name}.

The page is a single-page app built from web/ into site/ beside this module (`make web`; `sam build` ships it). It
talks only to the public JSON API, with the credential its user signs in with, so it never shows more than that
credential may see. The page names the current assets and is cached by no one; each asset is named by a hash of its
content and cached for a year. The page may load scripts, styles and data from its own origin only."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from aws_lambda_powertools.event_handler import Response

from keytally.errors import NotFound
from keytally.web.app import create_app, http_handler

SITE = Path(__file__).resolve().parent / "site"
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
PAGE_CACHE = "no-cache"
ASSET_CACHE = "public, max-age=31536000, immutable"


class Asset(NamedTuple):
    content_type: str
    body: str


class Site(NamedTuple):
    page: str
    assets: dict[str, Asset]


def load_site(site: Path) -> Site:
    """The page and every built asset by file name; a missing build fails the cold start, saying how to make it."""
    if not (site / "index.html").is_file():
        raise RuntimeError(f"The dashboard is not built ({site} is missing): run `make web`.")
    assets = {
        path.name: Asset(CONTENT_TYPES[path.suffix], path.read_text(encoding="utf-8"))
        for path in sorted((site / "assets").iterdir())
        if path.suffix in CONTENT_TYPES
    }
    return Site((site / "index.html").read_text(encoding="utf-8"), assets)


app = create_app()
BUILT = load_site(SITE)


@app.get("/dashboard", include_in_schema=False, compress=True)
def page() -> Response[str]:
    return Response(
        200, "text/html; charset=utf-8", BUILT.page, headers={**SECURITY_HEADERS, "Cache-Control": PAGE_CACHE}
    )


@app.get("/dashboard/assets/<name>", include_in_schema=False, compress=True)
def asset(name: str) -> Response[str]:
    found = BUILT.assets.get(name)  # only a name the build made: nothing else under site/ is served
    if found is None:
        raise NotFound(f"No dashboard asset {name}: the page names the current ones.")
    return Response(200, found.content_type, found.body, headers={**SECURITY_HEADERS, "Cache-Control": ASSET_CACHE})


lambda_handler = http_handler(app)
