"""The dashboard in a real browser: Debian's Chromium, driven by Playwright, against `keytally dev`. Each view shows
what the JSON API returns for the same range; the verification chart draws; a key created in the page is shown once,
works, and fails once revoked; signing out leaves nothing behind; the credential travels only in the Authorization
header; no console errors; axe-core finds nothing serious or critical at 1280 and 390 px; the first load stays under
150 KB. Screenshots of each view go to build/screenshots (KEYTALLY_SCREENSHOTS moves them)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from dev_stack import demo_key, request

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium missing: apt-get install chromium"),
]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("KEYTALLY_SCREENSHOTS", ROOT / "build" / "screenshots"))
# as root, without a sandbox; no background connections (this machine's network is closed)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWS = ["overview", "verifications", "requests", "keys", "tokens", "metrics", "team"]
WIDE, NARROW = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
FIRST_LOAD_LIMIT = 150 * 1024
UNKNOWN_KEY = "kt_org_" + "A" * 53


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Session:
    """One browser tab on the dashboard, with everything it logged and every request it sent."""

    def __init__(self, browser, base: str, viewport: dict, timezone: str | None = None) -> None:
        self.base = base
        self.context = browser.new_context(viewport=viewport, timezone_id=timezone)
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.requests: list = []
        self.page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        self.page.on("request", lambda sent: self.requests.append(sent))

    def sign_in(self, credential: str, accepted: bool = True, fragment: str = "") -> None:
        self.page.goto(f"{self.base}/dashboard{fragment}")
        self.page.get_by_label("Key or token").fill(credential)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_selector("main[data-ready]" if accepted else "form .error")

    def open(self, view: str) -> None:
        """Show the view (from the navigation) and wait for its figures."""
        if self.view() == view:
            return
        self.rendered(lambda: self.page.get_by_role("link", name=view.capitalize(), exact=True).click(), view)

    def rendered(self, action: Callable[[], object], view: str | None = None) -> None:
        """Run the action (a click, a choice) and wait for the view it shows. A view renders on hashchange, a task
        after the action returns: the main shown before is marked so that its data-ready is not taken for the new
        one's."""
        self.page.evaluate("document.querySelector('main').dataset.replaced = 'yes'")
        action()
        shown = f'main[data-view="{view}"]' if view else "main"
        self.page.wait_for_selector(f"{shown}[data-ready]:not([data-replaced])", timeout=120_000)

    def view(self) -> str:
        return self.page.evaluate("location.hash").removeprefix("#/").split("?")[0]

    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.page.evaluate("location.hash").partition("?")[2]))

    def figures(self) -> dict[str, str]:
        """Every figure of the view: data-metric -> data-value (the exact value behind the text shown)."""
        return {
            element.get_attribute("data-metric"): element.get_attribute("data-value")
            for element in self.page.locator("main [data-metric]").all()
        }

    def column(self, table: str, column: str) -> list[str]:
        return [
            cell.get_attribute("data-value")
            for cell in self.page.locator(f'[data-testid="{table}"] td[data-column="{column}"]').all()
        ]

    def assert_clean(self, *credentials: str, expected_errors: int = 0) -> None:
        """No console errors but the expected failed responses, and the credentials only ever in Authorization,
        only to the API."""
        assert len(self.console_errors) == expected_errors, "\n".join(self.console_errors)
        assert all("Failed to load resource" in error for error in self.console_errors), self.console_errors
        for sent in self.requests:
            headers = sent.all_headers()
            elsewhere = json.dumps({name: value for name, value in headers.items() if name != "authorization"})
            for credential in credentials:
                assert credential not in sent.url and credential not in (sent.post_data or ""), sent.url
                assert credential not in elsewhere, sent.url
            if "authorization" in headers:
                assert headers["authorization"] in {f"Bearer {credential}" for credential in credentials}
                assert sent.url.startswith(f"{self.base}/v1/"), sent.url

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser, dev_server) -> Iterator[Session]:
    session = Session(browser, dev_server[0], WIDE)
    yield session
    session.close()


def org_key(dev_server) -> str:
    return demo_key(dev_server[1], "organization key of acme-org")


def api(base: str, path: str, key: str, **query) -> dict | list:
    status, _, body = request(f"{base}{path}{'?' + urlencode(query, doseq=True) if query else ''}", key=key)
    assert status == 200, body
    return body["data"]


def as_number(value: str) -> float | None:
    return None if value == "" else float(value)


def test_each_view_shows_what_the_json_api_returns(tab, dev_server):
    base, key = dev_server[0], org_key(dev_server)
    tab.sign_in(key)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    tab.open("overview")
    shown = tab.figures()
    results = tab.page.locator("main .results")
    body = {
        "organizationSlug": "acme-org",
        "startDate": results.get_attribute("data-start"),
        "endDate": results.get_attribute("data-end"),
    }
    status, _, answer = request(f"{base}/v1/organizations/metrics", "POST", key, body)
    assert status == 200, answer
    metrics = answer["data"]
    assert int(shown["verifications.total"]) == metrics["verifications"]["total"] > 0
    for name, value in shown.items():
        group, _, field = name.partition(".")
        expected = metrics[group][field] if field else metrics[group]
        if name not in ("keys.usedInRange",):  # the page's own calls use the organization key
            assert as_number(value) == expected, name
    tab.page.screenshot(path=SCREENSHOTS / "overview.png", full_page=True)

    tab.open("verifications")
    results = tab.page.locator("main .results")
    start, end = results.get_attribute("data-start"), results.get_attribute("data-end")
    api_id = tab.page.get_by_label("API").input_value()
    query = {"apiId": api_id, "start": start, "end": end}
    totals = api(base, "/v1/analytics/verifications", key, **query)[0]
    shown = tab.figures()
    assert {name: int(value) for name, value in shown.items()} == {name: totals[name] for name in shown}
    assert int(shown["total"]) > 0
    top = api(base, "/v1/analytics/verifications", key, **query, groupBy="key", orderBy="total", order="desc", limit=10)
    assert tab.column("top-keys", "keyId") == [row["keyId"] or "(no such key)" for row in top]
    assert [int(total) for total in tab.column("top-keys", "total")] == [row["total"] for row in top]
    identities = api(
        base, "/v1/analytics/verifications", key, **query, groupBy="identity", orderBy="total", order="desc", limit=10
    )
    assert [int(total) for total in tab.column("top-identities", "total")] == [row["total"] for row in identities]
    assert drawn_pixels(tab.page, '[data-testid="verification-chart"] canvas') > 500
    tab.page.screenshot(path=SCREENSHOTS / "verifications.png", full_page=True)

    tab.open("requests")
    results = tab.page.locator("main .results")
    query = {"start": results.get_attribute("data-start"), "end": results.get_attribute("data-end"), "limit": 10}
    analytics = api(base, "/v1/analytics/api_keys", key, organizationSlug="acme-org", **query)
    shown = tab.figures()
    assert int(shown["core_metrics.total_requests"]) == analytics["core_metrics"]["total_requests"] > 0
    for name, value in shown.items():
        group, _, field = name.partition(".")
        assert as_number(value) == analytics[group][field], name
    previous = tab.page.locator('[data-metric="core_metrics.total_requests"] .change').get_attribute("data-previous")
    assert int(previous) == analytics["prev_core_metrics"]["total_requests"]
    assert tab.column("top-keys", "api_key_id") == [row["api_key_id"] or "" for row in analytics["most_used_api_keys"]]
    assert tab.column("top-ips", "ip") == [row["ip"] for row in analytics["ip_metrics"]]
    assert drawn_pixels(tab.page, '[data-testid="hourly-chart"] canvas') > 500
    tab.page.screenshot(path=SCREENSHOTS / "requests.png", full_page=True)

    tab.open("keys")
    listed = api(base, "/v1/api_keys", key, organizationSlug="acme-org", limit=100)
    assert sorted(tab.column("keys", "api_key_id")) == sorted(item["api_key_id"] for item in listed)
    tab.page.screenshot(path=SCREENSHOTS / "keys.png", full_page=True)

    tab.open("tokens")  # an organization key has no tokens: the view says so
    assert "belong to a user" in tab.page.locator("main").inner_text()

    tab.open("metrics")
    assert tab.page.get_by_test_id("scrape-url").inner_text() == f"{base}/v1/metrics"
    config = tab.page.get_by_test_id("scrape-config").inner_text()
    check_scrape_config(config, f"{base}/v1/metrics", key)
    tab.page.screenshot(path=SCREENSHOTS / "metrics.png", full_page=True)
    tab.assert_clean(key)


def drawn_pixels(page, selector: str) -> int:
    """How many pixels of the chart's canvas are painted."""
    return page.locator(selector).first.evaluate(
        """canvas => {
            const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
            return painted;
        }"""
    )


def check_scrape_config(config: str, url: str, key: str) -> None:
    """A scrape_config the page offers, with the credential filled in, is valid to promtool where it is installed
    (else as YAML) and scrapes `url`."""
    import yaml

    filled = re.sub(r"<[^>]+>", key, config)
    job = yaml.safe_load(filled)["scrape_configs"][0]
    assert f"{job['scheme']}://{job['static_configs'][0]['targets'][0]}{job['metrics_path']}" == url
    if shutil.which("promtool"):
        checked = subprocess.run(
            ["promtool", "check", "config", "/dev/stdin"], input=filled, capture_output=True, text=True, timeout=60
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_key_created_in_the_page_is_shown_once_works_and_fails_once_revoked(tab, dev_server):
    base, key = dev_server[0], org_key(dev_server)
    tab.sign_in(key)
    tab.open("keys")
    tab.page.get_by_label("Description").fill("made in the browser")
    scopes = tab.page.locator("fieldset.scopes input")
    for index in range(scopes.count()):
        if scopes.nth(index).get_attribute("value") != "keys:read":
            scopes.nth(index).uncheck()
    tab.page.get_by_role("button", name="Create key").click()
    value = tab.page.get_by_test_id("new-key-value").input_value()
    assert value.startswith("kt_org_")
    new_id = re.search(r"Key (ak_\w+) created", tab.page.locator(".once").inner_text()).group(1)
    row = tab.page.locator('[data-testid="keys"] tr', has=tab.page.locator(f'td[data-value="{new_id}"]'))
    row.wait_for()
    assert shown_anywhere(tab.page, value)

    status, _, body = request(f"{base}/v1/api_keys/{new_id}", key=value)
    assert status == 200 and body["data"]["scope_names"] == ["keys:read"]
    tab.page.get_by_role("button", name="Done").click()
    assert not shown_anywhere(tab.page, value)  # shown once: gone from the page once dismissed

    row.get_by_role("button", name="Revoke").click()
    row.get_by_role("button", name="Confirm revoke").click()
    tab.page.get_by_text(f"Key {new_id} revoked").wait_for()
    row.wait_for(state="detached")  # the list holds the keys that still work
    status, _, body = request(f"{base}/v1/api_keys/{new_id}", key=value)
    assert status == 401, body
    tab.assert_clean(key)


def shown_anywhere(page, secret: str) -> bool:
    return page.evaluate(
        """secret => document.body.innerText.includes(secret)
            || [...document.querySelectorAll("input, textarea")].some(field => field.value.includes(secret))""",
        secret,
    )


def test_signing_out_leaves_nothing_in_storage(tab, dev_server):
    key = org_key(dev_server)
    tab.sign_in(key)
    assert tab.page.evaluate("() => sessionStorage.length") == 2
    assert tab.page.evaluate("() => localStorage.length") == 0
    tab.page.get_by_role("button", name="Sign out").click()
    tab.page.get_by_label("Key or token").wait_for()
    assert tab.page.evaluate("() => sessionStorage.length + localStorage.length") == 0
    assert tab.context.cookies() == []
    assert not shown_anywhere(tab.page, key)
    tab.page.reload()
    tab.page.get_by_label("Key or token").wait_for()  # nothing left to sign in with
    tab.assert_clean(key)


def test_api_errors_are_told_plainly(tab, dev_server):
    base = dev_server[0]
    tab.sign_in(UNKNOWN_KEY, accepted=False)
    assert "did not accept this credential" in tab.page.get_by_role("alert").inner_text()
    assert tab.page.evaluate("() => sessionStorage.length") == 0

    token = re.search(r"read-only token of alice@acme.example \(acme-org\)\s+(eyJ\S+)", dev_server[1]).group(1)
    tab.sign_in(token)  # a read-only token reads every view (the overview's metrics are a query sent as a POST)...
    assert tab.page.get_by_role("alert").count() == 0
    assert tab.page.locator('[data-metric="verifications.total"]').count() == 1
    tab.open("keys")  # ...and is offered nothing it may not do
    assert tab.page.get_by_role("button", name="Create key").count() == 0
    tab.open("tokens")
    assert tab.page.get_by_role("button", name="Create token").count() == 0
    assert tab.page.get_by_role("button", name="Revoke").count() == 0

    tab.page.route(
        f"{base}/v1/apis?organizationSlug=acme-org",
        lambda route: route.fulfill(
            status=403,
            headers={"Content-Type": "application/json"},
            body=json.dumps({"meta": {"request_id": "r"}, "error": {"code": "FORBIDDEN", "message": "No"}}),
        ),
    )
    tab.open("keys")  # a 403 from the API, told
    assert "not allowed to do that" in tab.page.get_by_role("alert").inner_text()

    tab.page.route(
        f"{base}/v1/organizations/metrics",
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "17", "Content-Type": "application/json"},
            body=json.dumps({"meta": {"request_id": "r"}, "error": {"code": "TOO_MANY_REQUESTS", "message": "Slow"}}),
        ),
    )
    tab.open("overview")
    assert "wait 17 seconds" in tab.page.get_by_role("alert").inner_text()
    tab.assert_clean(UNKNOWN_KEY, token, expected_errors=3)  # the 401, the 403 and the 429 themselves


def test_a_users_personal_access_tokens(tab, dev_server):
    base = dev_server[0]
    user_key = demo_key(dev_server[1], "user key of alice@acme.example")
    tab.sign_in(user_key)
    tab.open("tokens")
    assert sorted(tab.column("tokens", "pat_id")) == sorted(
        token["pat_id"] for token in api(base, "/v1/personal-access-tokens", user_key)
    )
    tab.page.get_by_label("Name").fill("from the browser")
    tab.page.get_by_role("button", name="Create token").click()
    token = tab.page.get_by_test_id("new-token-value").input_value()
    pat_id = re.search(r"Token (pat_\w+) created", tab.page.locator(".once").inner_text()).group(1)
    assert api(base, "/v1/organizations", token)[0]["organizationSlug"] == "acme-org"  # bound to the chosen one
    row = tab.page.locator('[data-testid="tokens"] tr', has=tab.page.locator(f'td[data-value="{pat_id}"]'))
    row.get_by_role("button", name="Revoke").click()
    row.get_by_role("button", name="Confirm revoke").click()
    tab.page.locator(f'[data-testid="tokens"] tr:has(td[data-value="{pat_id}"]) td[data-value="revoked"]').wait_for()
    status, _, _ = request(f"{base}/v1/organizations", key=token)
    assert status == 401
    tab.assert_clean(user_key)


def test_a_member_of_two_organizations_sees_each_apart(tab, dev_server):
    base = dev_server[0]
    bob = demo_key(dev_server[1], "user key of bob@example.com")  # acme-org's admin, beta-org's member
    tab.sign_in(bob)
    picker = tab.page.get_by_label("Organization", exact=True)
    assert sorted(picker.locator("option").evaluate_all("options => options.map(o => o.value)")) == [
        "acme-org",
        "beta-org",
    ]
    tab.open("requests")
    for slug in ("beta-org", "acme-org"):
        tab.rendered(lambda: picker.select_option(slug), "requests")  # noqa: B023 (run at once)
        assert tab.params()["org"] == slug
        results = tab.page.locator("main .results")
        query = {"start": results.get_attribute("data-start"), "end": results.get_attribute("data-end"), "limit": 10}
        analytics = api(base, "/v1/analytics/api_keys", bob, organizationSlug=slug, **query)
        assert int(tab.figures()["core_metrics.total_requests"]) == analytics["core_metrics"]["total_requests"] > 0
        assert tab.column("top-keys", "api_key_id") == [
            row["api_key_id"] or "" for row in analytics["most_used_api_keys"]
        ]
        assert tab.page.evaluate("() => sessionStorage.getItem('keytally.organization')") == slug
    acme_keys = {row["api_key_id"] for row in api(base, "/v1/api_keys", bob, organizationSlug="acme-org", limit=100)}
    assert not acme_keys.isdisjoint(tab.column("top-keys", "api_key_id"))
    tab.rendered(lambda: picker.select_option("beta-org"), "requests")
    assert acme_keys.isdisjoint(tab.column("top-keys", "api_key_id"))  # never the other organization's keys
    tab.open("keys")  # a member of beta-org may not read its keys: the view says so, asking nothing
    assert "may not read keys here: it lacks keys:read" in tab.page.locator("main").inner_text()
    tab.assert_clean(bob)


def test_staff_also_get_the_scrape_config_of_every_organization(tab, dev_server):
    base = dev_server[0]
    staff = demo_key(dev_server[1], "user key of staff@keytally.example")
    tab.sign_in(staff)
    tab.open("metrics")
    check_scrape_config(tab.page.get_by_test_id("scrape-config-all").inner_text(), f"{base}/v1/metrics/all", staff)
    status, headers, _ = request_text(f"{base}/v1/metrics/all", staff)
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    tab.assert_clean(staff)


def request_text(url: str, key: str) -> tuple[int, dict, str]:
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})) as response:
        return response.status, dict(response.headers), response.read().decode()


def test_an_empty_range_says_so(tab, dev_server):
    tab.sign_in(org_key(dev_server))
    tab.open("verifications")
    tab.page.get_by_label("Range").select_option("custom")
    tab.page.get_by_label("From").fill("2026-01-01")
    tab.page.get_by_label("To").fill("2026-01-02")
    tab.page.wait_for_selector('main[data-view="verifications"][data-ready] .results[data-start="1767225600000"]')
    assert "No verifications in this range." in tab.page.locator("main").inner_text()
    tab.assert_clean(org_key(dev_server))


def test_the_chart_reads_in_utc_as_the_page_does_in_any_browser_zone(browser, dev_server):
    session = Session(browser, dev_server[0], WIDE, timezone="America/Los_Angeles")
    try:
        session.sign_in(org_key(dev_server))
        session.open("verifications")  # a bar a UTC day
        session.page.locator(".chart .u-over").first.hover()
        shown = session.page.locator(".chart .u-legend .u-series").first.inner_text()
        assert "Time (UTC)" in shown and re.search(r"\d{4}-\d{2}-\d{2} 00:00", shown), shown  # not 16:00 the day before
    finally:
        session.close()


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280px", "390px"])
def test_every_view_is_accessible_and_fits_the_screen(browser, dev_server, viewport):
    user_key = demo_key(dev_server[1], "user key of alice@acme.example")  # a user's: every view has content
    session = Session(browser, dev_server[0], viewport)
    try:
        session.sign_in(user_key)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for view in VIEWS:
            session.open(view)
            assert session.page.evaluate("() => document.documentElement.scrollWidth <= innerWidth"), view
            violations = axe_violations(session.page)
            assert violations == [], (view, violations)
            session.page.screenshot(path=SCREENSHOTS / f"{view}-{viewport['width']}.png", full_page=True)
        session.assert_clean(user_key)
    finally:
        session.close()


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page (run in the page, as a browser extension would)."""
    if not page.evaluate("() => 'axe' in window"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    results = page.evaluate("async () => await axe.run(document, { resultTypes: ['violations'] })")
    return [
        {"id": item["id"], "impact": item["impact"], "nodes": [node["target"] for node in item["nodes"]][:5]}
        for item in results["violations"]
        if item["impact"] in ("serious", "critical")
    ]


def test_the_first_load_transfers_at_most_150_kb(tab, dev_server):
    """The page and its assets as the browser received them (gzip, headers included), before signing in."""
    tab.page.goto(f"{dev_server[0]}/dashboard")
    tab.page.get_by_label("Key or token").wait_for()
    transferred = tab.page.evaluate(
        """() => [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")]
            .reduce((sum, entry) => sum + entry.transferSize, 0)"""
    )
    print(f"first load: {transferred} bytes transferred")
    assert 10_000 < transferred <= FIRST_LOAD_LIMIT


def results_range(tab: Session) -> tuple[int, int]:
    results = tab.page.locator("main .results")
    return int(results.get_attribute("data-start")), int(results.get_attribute("data-end"))


def test_the_view_lives_in_the_url_a_reload_or_a_shared_link_opens_it_again(tab, browser, dev_server):
    base, key = dev_server[0], org_key(dev_server)
    tab.sign_in(key)
    tab.open("requests")
    tab.rendered(lambda: tab.page.get_by_label("Range").select_option("6h"), "requests")
    endpoint = tab.column("top-endpoints", "endpoint")[0]
    tab.page.get_by_role("textbox", name="Endpoint").fill(endpoint)
    tab.rendered(lambda: tab.page.get_by_role("button", name="Apply").click(), "requests")
    tab.rendered(lambda: tab.page.get_by_label("Time zone").select_option("Europe/Berlin"), "requests")
    assert tab.params() == {"org": "acme-org", "range": "6h", "endpoint": endpoint, "tz": "Europe/Berlin"}
    start, end = results_range(tab)
    assert end - start == 6 * 3_600_000
    shown = tab.figures()["core_metrics.total_requests"]
    analytics = api(
        base, "/v1/analytics/api_keys", key, organizationSlug="acme-org", start=start, end=end, endpoint=endpoint
    )
    assert int(shown) == analytics["core_metrics"]["total_requests"] > 0
    assert tab.page.locator(".range-shown").inner_text().split(",")[0].endswith("Europe/Berlin")
    url = tab.page.url

    tab.rendered(tab.page.reload, "requests")  # a reload: the same view, range, zone and filter
    assert tab.page.get_by_role("textbox", name="Endpoint").input_value() == endpoint
    assert tab.page.get_by_label("Range").input_value() == "6h"
    assert tab.page.get_by_label("Time zone").input_value() == "Europe/Berlin"
    assert tab.params()["endpoint"] == endpoint

    other = Session(browser, base, WIDE)  # a shared link: after signing in, the view it names
    try:
        other.sign_in(key, fragment=url.partition("/dashboard")[2])
        assert other.view() == "requests" and other.params()["endpoint"] == endpoint
        assert other.page.get_by_role("textbox", name="Endpoint").input_value() == endpoint
        other.page.go_back()  # history holds the views: back is the one before
        other.assert_clean(key)
    finally:
        other.close()
    tab.assert_clean(key)


def test_a_link_to_an_organization_the_credential_cannot_see_shows_its_own_and_says_so(tab, dev_server):
    key = org_key(dev_server)  # acme-org's
    tab.sign_in(key, fragment="#/requests?org=beta-org")
    assert tab.params()["org"] == "acme-org"
    assert "cannot see beta-org" in tab.page.get_by_role("status").filter(has_text="beta-org").inner_text()
    sent = [request.url for request in tab.requests if "/v1/" in request.url]
    assert sent and not any("beta-org" in url for url in sent)  # never asked for
    tab.assert_clean(key)


def test_each_top_list_opens_its_detail(tab, dev_server):
    base, key = dev_server[0], org_key(dev_server)
    tab.sign_in(key)
    tab.open("verifications")
    start, end = results_range(tab)
    api_id = tab.page.get_by_label("API").input_value()
    key_id = tab.column("top-keys", "keyId")[0]
    tab.rendered(lambda: tab.page.locator('[data-testid="top-keys"] a').first.click(), "key")
    assert tab.params()["id"] == key_id and results_range(tab) == (start, end)
    assert tab.page.get_by_test_id("key-id").inner_text() == key_id
    about = api(base, f"/v1/api_keys/{key_id}", key)
    assert tab.figures()["last_used_at"] == (about["last_used_at"] or "")
    totals = api(base, "/v1/analytics/verifications", key, apiId=api_id, keyId=key_id, start=start, end=end)[0]
    assert int(tab.figures()["total"]) == totals["total"] > 0
    requests = api(
        base, "/v1/analytics/api_keys", key, organizationSlug="acme-org", apiKeyId=key_id, start=start, end=end
    )
    assert int(tab.figures()["core_metrics.total_requests"]) == requests["core_metrics"]["total_requests"]
    assert drawn_pixels(tab.page, '[data-testid="verification-chart"] canvas') > 500
    assert axe_violations(tab.page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.page.screenshot(path=SCREENSHOTS / "key.png", full_page=True)

    tab.open("verifications")  # an identity narrows the view to its verifications
    identity = tab.column("top-identities", "externalId")[0]
    tab.rendered(lambda: tab.page.locator('[data-testid="top-identities"] a').first.click(), "verifications")
    assert tab.params()["externalId"] == identity
    assert tab.page.get_by_label("Identity").input_value() == identity
    start, end = results_range(tab)
    totals = api(base, "/v1/analytics/verifications", key, apiId=api_id, externalId=identity, start=start, end=end)[0]
    assert int(tab.figures()["total"]) == totals["total"] > 0
    assert set(tab.column("top-identities", "externalId")) == {identity}

    tab.open("requests")  # a key of the requests' top list, then an endpoint of the top endpoints
    first = tab.column("top-keys", "api_key_id")[0]
    tab.rendered(lambda: tab.page.locator('[data-testid="top-keys"] a').first.click(), "key")
    assert tab.params()["id"] == first
    tab.open("requests")
    start, end = results_range(tab)
    analytics = api(base, "/v1/analytics/api_keys", key, organizationSlug="acme-org", start=start, end=end)
    assert tab.column("top-endpoints", "endpoint") == [row["endpoint"] for row in analytics["endpoint_metrics"]]
    endpoint = analytics["endpoint_metrics"][0]["endpoint"]
    tab.rendered(lambda: tab.page.locator('[data-testid="top-endpoints"] a').first.click(), "requests")
    assert tab.params()["endpoint"] == endpoint
    start, end = results_range(tab)
    only = api(
        base, "/v1/analytics/api_keys", key, organizationSlug="acme-org", start=start, end=end, endpoint=endpoint
    )
    assert int(tab.figures()["core_metrics.total_requests"]) == only["core_metrics"]["total_requests"] > 0
    assert drawn_pixels(tab.page, '[data-testid="latency-chart"] canvas') > 500
    tab.page.locator('[data-testid="latency-chart"] .u-over').hover()
    legend = tab.page.locator('[data-testid="latency-chart"] .u-legend').inner_text()
    assert all(label in legend for label in ("Average", "p50", "p95", "p99")), legend

    tab.open("keys")  # and the keys list
    tab.rendered(lambda: tab.page.locator('[data-testid="keys"] a').first.click(), "key")
    assert tab.params()["id"] == tab.page.get_by_test_id("key-id").inner_text()
    tab.assert_clean(key)


def test_a_drag_or_a_click_on_a_chart_narrows_the_whole_view(tab, dev_server):
    base, key = dev_server[0], org_key(dev_server)
    tab.sign_in(key)
    tab.open("verifications")  # the last 7 days, a bar a day
    before = results_range(tab)
    api_id = tab.page.get_by_label("API").input_value()
    over = tab.page.locator('[data-testid="verification-chart"] .u-over')
    box = over.bounding_box()

    def drag() -> None:
        tab.page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] / 2)
        tab.page.mouse.down()
        tab.page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2, steps=8)
        tab.page.mouse.up()

    tab.rendered(drag, "verifications")
    start, end = results_range(tab)
    assert before[0] < start < end < before[1] and tab.params()["start"] == str(start)
    totals = api(base, "/v1/analytics/verifications", key, apiId=api_id, start=start, end=end)[0]
    assert int(tab.figures()["total"]) == totals["total"]
    assert tab.page.get_by_label("Range").input_value() == "custom"

    tab.rendered(lambda: tab.page.get_by_label("Range").select_option("30d"), "verifications")
    tab.rendered(lambda: over.click(position={"x": box["width"] / 2, "y": box["height"] / 2}), "verifications")
    start, end = results_range(tab)  # one bar: one whole UTC day
    assert end - start == 86_400_000 and start % 86_400_000 == 0
    totals = api(base, "/v1/analytics/verifications", key, apiId=api_id, start=start, end=end)[0]
    assert int(tab.figures()["total"]) == totals["total"]
    tab.assert_clean(key)


def test_short_presets_are_shown_by_hour_and_live_refreshes_them(browser, dev_server):
    base, key = dev_server[0], org_key(dev_server)
    session = Session(browser, base, WIDE)
    try:
        session.page.clock.install()
        session.sign_in(key)
        session.open("verifications")
        session.rendered(lambda: session.page.get_by_label("Range").select_option("1h"), "verifications")
        start, end = results_range(session)
        assert end - start == 3_600_000 and session.page.get_by_label("Per", exact=True).input_value() == "hour"
        session.rendered(lambda: session.page.get_by_label("Live").check(), "verifications")
        assert session.params()["live"] == "1"
        asked = len([sent for sent in session.requests if "/v1/analytics/verifications" in sent.url])
        scrolled = session.page.evaluate("window.scrollTo(0, document.body.scrollHeight); window.scrollY")
        assert scrolled > 0
        session.rendered(lambda: session.page.clock.fast_forward(31_000), "verifications")  # 30 s later: asked again
        asked_again = len([sent for sent in session.requests if "/v1/analytics/verifications" in sent.url])
        assert asked_again > asked
        assert session.page.evaluate("window.scrollY") == scrolled  # where the reader was
        tag = session.page.get_by_role("textbox", name="Tag")
        tag.fill("being typed")  # a filter being edited is not swept away by the refresh...
        session.page.clock.fast_forward(31_000)
        session.page.wait_for_timeout(1_000)
        assert len([sent for sent in session.requests if "/v1/analytics/verifications" in sent.url]) == asked_again
        assert tag.input_value() == "being typed"
        tag.blur()  # ...and once the reader leaves the form, the next tick refreshes
        session.rendered(lambda: session.page.clock.fast_forward(31_000), "verifications")
        session.rendered(lambda: session.page.get_by_label("Range").select_option("7d"), "verifications")
        assert session.page.get_by_label("Live").count() == 0  # a week is not watched live
        session.assert_clean(key)
    finally:
        session.close()


def test_the_chosen_zone_is_used_everywhere_and_stated(tab, dev_server):
    key = org_key(dev_server)
    tab.sign_in(key)
    tab.open("verifications")
    tab.rendered(lambda: tab.page.get_by_label("Time zone").select_option("America/Los_Angeles"), "verifications")
    assert tab.page.locator(".range-shown").inner_text().endswith("America/Los_Angeles")
    tab.page.get_by_label("Per", exact=True).select_option("hour")
    tab.rendered(lambda: tab.page.get_by_role("button", name="Apply").click(), "verifications")
    tab.page.locator(".chart .u-over").first.hover()
    legend = tab.page.locator(".chart .u-legend .u-series").first.inner_text()
    assert "Time (America/Los_Angeles)" in legend, legend
    tab.open("keys")
    used = [value for value in tab.column("keys", "last_used_at") if value]
    shown = tab.page.locator('[data-testid="keys"] td[data-column="last_used_at"]').all_inner_texts()
    assert used and all(text.endswith(" America/Los_Angeles") or text == "—" for text in shown)
    tab.assert_clean(key)


def test_owners_see_their_team_and_change_a_role(tab, dev_server):
    base = dev_server[0]
    alice = demo_key(dev_server[1], "user key of alice@acme.example")  # acme-org's owner
    tab.sign_in(alice)
    tab.open("team")
    members = api(base, "/v1/organizations/acme-org/members", alice)
    assert sorted(tab.column("members", "email")) == sorted(member["email"] for member in members)
    bob = next(member for member in members if member["email"] == "bob@example.com")
    picker = tab.page.get_by_label("Role of bob@example.com")
    picker.select_option("member")
    tab.page.get_by_text("bob@example.com: now member").wait_for()
    assert (
        next(m for m in api(base, "/v1/organizations/acme-org/members", alice) if m["email"] == bob["email"])["role"]
        == "member"
    )
    tab.page.get_by_label("Role of bob@example.com").select_option(bob["role"])  # as it was
    tab.page.get_by_text(f"bob@example.com: now {bob['role']}").wait_for()
    assert (
        next(m for m in api(base, "/v1/organizations/acme-org/members", alice) if m["email"] == bob["email"])["role"]
        == bob["role"]
    )
    tab.assert_clean(alice)
