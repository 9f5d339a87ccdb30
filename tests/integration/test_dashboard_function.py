"""The dashboard function through the local API: the page and its hashed assets as built by `make web`, their
caching, their Content-Security-Policy (own origin only), gzip when asked, and the envelope's 404 for an asset the
build did not make. (tests/e2e/test_dashboard.py drives the page itself in Chromium.)"""

from __future__ import annotations

import gzip
import re

import pytest

CSP = re.compile(r"(^|; )default-src 'self'(;|$)")


@pytest.fixture
def page(client):
    response = client.get("/dashboard")
    assert response.status_code == 200
    return response


def asset_paths(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/dashboard/assets/[^"]+)"', html)


def test_the_page_is_never_cached_and_runs_only_its_own_origin(page):
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Cache-Control"] == "no-cache"
    policy = page.headers["Content-Security-Policy"]
    assert CSP.search(policy)
    for directive in ("script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"):
        assert directive in policy
    assert "unsafe" not in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_the_page_names_a_script_and_a_stylesheet_each_served_for_a_year(client, page):
    paths = asset_paths(page.get_data(as_text=True))
    assert sorted(path.rsplit(".", 1)[1] for path in paths) == ["css", "js"]
    for path in paths:
        assert re.fullmatch(r"/dashboard/assets/(main|style)-[A-Z0-9]{8}\.(js|css)", path), path
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        expected = "text/javascript" if path.endswith(".js") else "text/css"
        assert response.headers["Content-Type"] == f"{expected}; charset=utf-8"
        assert len(response.get_data()) > 1000


def test_assets_are_gzipped_for_a_browser_that_takes_gzip(client, page):
    script = next(path for path in asset_paths(page.get_data(as_text=True)) if path.endswith(".js"))
    plain = client.get(script).get_data()
    zipped = client.get(script, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.get_data()) == plain
    assert len(zipped.get_data()) < len(plain) / 2


@pytest.mark.parametrize("name", ["main-AAAAAAAA.js", "handler.py", "index.html", "..%2Fhandler.py", "a" * 120])
def test_anything_else_under_assets_is_the_envelopes_404(client, name):
    response = client.get(f"/dashboard/assets/{name}")
    assert response.status_code == 404, response.get_data()
    assert set(response.json) == {"meta", "error"}
    assert b"def lambda_handler" not in response.get_data()
