// The dashboard's pure helpers, without a browser: `node --test` (make check runs it).
import assert from "node:assert/strict";
import { test } from "node:test";

import { explain, queryString } from "../src/api.js";
import { format } from "../src/dom.js";
import { describe, narrowed, rangeOf, rangeParams, resolve } from "../src/range.js";
import { href, parse } from "../src/route.js";
import { boundTo } from "../src/session.js";
import { scrapeConfig } from "../src/views/metrics.js";
import { dateIn, midnight, useZone, wallTime, zone } from "../src/zone.js";

const HOUR = 3_600_000;

test("a preset range ends at the next whole minute and spans its length", () => {
  const now = Date.parse("2026-12-05T01:16:36.500Z");
  assert.deepEqual(resolve({ preset: "24h" }, now), {
    start: Date.parse("2026-12-04T01:17:00Z"),
    end: Date.parse("2026-12-05T01:17:00Z"),
  });
  assert.equal(resolve({ preset: "30d" }, now).end - resolve({ preset: "30d" }, now).start, 720 * HOUR);
});

test("a range travels in the URL: a preset by name, else a start and an end; anything odd is the default", () => {
  assert.deepEqual(rangeOf({ range: "6h" }), { preset: "6h" });
  assert.deepEqual(rangeOf({ start: "1000", end: "2000", range: "6h" }), { preset: "custom", start: 1000, end: 2000 });
  for (const odd of [{}, { range: "2w" }, { start: "2000", end: "1000" }, { start: "x", end: "1" }, { start: "1" }]) {
    assert.deepEqual(rangeOf(odd), { preset: "7d" }, JSON.stringify(odd));
  }
  for (const range of [{ preset: "1h" }, { preset: "custom", start: 60_000, end: 120_000 }]) {
    const params = Object.fromEntries(
      Object.entries(rangeParams(range))
        .filter(([, value]) => value !== null)
        .map(([name, value]) => [name, String(value)]),
    );
    assert.deepEqual(rangeOf(params), range);
  }
  assert.deepEqual(resolve({ preset: "custom", start: 5, end: 9 }), { start: 5, end: 9 });
  assert.equal(resolve({ preset: "1h" }, 0).end - resolve({ preset: "1h" }, 0).start, HOUR);
});

test("a drag or a click narrows to whole minutes, at least one", () => {
  assert.deepEqual(narrowed(61_000, 179_000), { preset: "custom", start: 60_000, end: 180_000 });
  assert.deepEqual(narrowed(60_000, 60_000), { preset: "custom", start: 60_000, end: 120_000 });
});

test("times read in the chosen zone, UTC unless another is chosen; a date begins at the zone's midnight", () => {
  assert.equal(useZone("Nowhere/Atlantis"), "UTC");
  assert.equal(describe({ start: 0, end: HOUR }), "1970-01-01 00:00 – 1970-01-01 01:00 UTC");
  useZone("America/Los_Angeles");
  try {
    assert.equal(zone(), "America/Los_Angeles");
    assert.equal(wallTime(Date.parse("2026-12-05T00:00:00Z")), "2026-12-04 16:00");
    assert.equal(format.date("2026-12-05T01:25:07Z"), "2026-12-04 17:25 America/Los_Angeles");
    assert.equal(midnight("2026-12-05"), Date.parse("2026-12-05T08:00:00Z"));
    assert.equal(midnight("2026-07-05"), Date.parse("2026-07-05T07:00:00Z")); // daylight saving time
    assert.equal(midnight("2026-03-08"), Date.parse("2026-03-08T08:00:00Z")); // the day it starts, at 02:00
    assert.equal(dateIn(Date.parse("2026-12-05T07:59:00Z")), "2026-12-04");
  } finally {
    useZone("UTC");
  }
  assert.equal(midnight("2026-12-05", "Asia/Kolkata"), Date.parse("2026-12-04T18:30:00Z"));
});

test("a view's URL holds its parameters, leaving out the empty ones, and reads back the same", () => {
  const link = href("requests", { org: "acme-org", endpoint: "/v1/orders?x=1&y", apiKeyId: "", source: null });
  assert.equal(link, "#/requests?org=acme-org&endpoint=%2Fv1%2Forders%3Fx%3D1%26y");
  assert.deepEqual(parse(link), { view: "requests", params: { org: "acme-org", endpoint: "/v1/orders?x=1&y" } });
  assert.deepEqual(parse(""), { view: "", params: {} });
  assert.deepEqual(parse("#/keys"), { view: "keys", params: {} });
});

test("the query string repeats a list's name, and leaves out what is empty", () => {
  assert.equal(
    queryString({ groupBy: ["day", "key"], tag: "", keyId: null, start: 0 }),
    "?groupBy=day&groupBy=key&start=0",
  );
  assert.equal(queryString({}), "");
  assert.equal(queryString({ endpoint: "/v1/orders?x=1&y" }), "?endpoint=%2Fv1%2Forders%3Fx%3D1%26y");
});

test("errors read as sentences: 401, 403 with the API's reason, 429 with Retry-After, 5xx with the request id", () => {
  assert.match(explain(401, null, null, null), /did not accept this credential/);
  assert.equal(
    explain(403, { message: "You do not have permission" }, null, null),
    "This credential is not allowed to do that (You do not have permission).",
  );
  assert.match(explain(429, null, "17", null), /wait 17 seconds/);
  assert.match(explain(429, null, null, null), /wait a little/);
  assert.match(explain(503, null, null, "abc123"), /request id abc123/);
  assert.equal(explain(422, { message: "start: must be before end" }, null, null), "start: must be before end");
});

test("errors give the API's own reason where it has one: its description over its general message", () => {
  const invalid = {
    code: "UNPROCESSABLE_ENTITY",
    message: "Validation failed for the request parameters.",
    description: "body.refill.amount: Input should be greater than or equal to 1",
  };
  assert.equal(explain(422, invalid, null, null), "body.refill.amount: Input should be greater than or equal to 1");
  const product = {
    code: "UNAUTHORIZED",
    message: "Authentication is required.",
    description: "Product keys are checked with POST /v1/keys/verify; they do not open keytally's API.",
  };
  assert.equal(
    explain(401, product, null, null),
    "keytally did not accept this credential: Product keys are checked with POST /v1/keys/verify; they do not open " +
      "keytally's API. Sign out and sign in again.",
  );
  assert.equal(
    explain(401, null, null, null),
    "keytally did not accept this credential: it may be revoked, expired or mistyped. Sign out and sign in again.",
  );
});

test("figures are formatted for people, and a missing one is a dash", () => {
  assert.equal(format.count(1234567), "1,234,567");
  assert.equal(format.percent(88.97), "88.97%");
  assert.equal(format.ms(2008.1749), "2,008.17 ms");
  assert.equal(format.rate(0.000694), "0.000694");
  assert.equal(format.count(null), "—");
  assert.equal(format.date(null), "never");
  assert.equal(format.date("2026-12-05T01:25:07.069278Z"), "2026-12-05 01:25 UTC");
});

test("the organization a credential is bound to: an organization key's own, a token's org claim, else none", () => {
  const member = { organizationSlug: "acme-org", role: "owner", staff: false };
  const orgKey = { organizationSlug: "acme-org", role: null, staff: false };
  const token = (claims) => `e30.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.signature`;
  assert.equal(boundTo("kt_org_anything", orgKey), "acme-org");
  assert.equal(boundTo(token({ sub: "usr_1", org: "acme-org" }), member), "acme-org");
  assert.equal(boundTo(token({ sub: "usr_1" }), member), null);
  assert.equal(boundTo("kt_usr_anything", member), null);
  assert.equal(boundTo("not.a-json.token", member), null);
});

test("a scrape_config names the job, the URL's parts and leaves the credential to fill", () => {
  const config = scrapeConfig(new URL("https://api.example.com/v1/metrics/all"), "keytally-all", "a staff credential");
  assert.match(config, /^scrape_configs:\n {2}- job_name: keytally-all\n/);
  assert.match(config, /\n {4}scheme: https\n {4}metrics_path: \/v1\/metrics\/all\n/);
  assert.match(config, /\n {6}credentials: <a staff credential>\n/);
  assert.match(config, /\n {6}- targets: \["api.example.com"\]\n$/);
});
