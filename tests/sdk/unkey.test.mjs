// Unkey's SDKs, unmodified, verifying keys against keytally: @unkey/api 0.38.0 (Unkey's v1 API) and 2.x (v2).
// KEYTALLY_URL is a running keytally (`keytally dev`), KEYTALLY_ROOT_KEY an organization key there with every scope;
// each test issues its own API and product keys through keytally's own REST API.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { Unkey } from "@unkey/api";
import {
  BadRequestErrorResponse,
  NotFoundErrorResponse,
  UnauthorizedErrorResponse,
} from "@unkey/api/models/errors";
import { Unkey as UnkeyV1 } from "unkey-v1";

const base = process.env.KEYTALLY_URL;
const rootKey = process.env.KEYTALLY_ROOT_KEY;

async function keytally(path, body) {
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${rootKey}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  assert.equal(response.status, 201, JSON.stringify(answer));
  return answer.data;
}

let apiId;
async function productKey(fields = {}) {
  const issued = await keytally("/v1/api_keys", { api_id: apiId, ...fields });
  return { key: issued.key_value, keyId: issued.api_key_id };
}

before(async () => {
  assert.ok(base && rootKey, "set KEYTALLY_URL and KEYTALLY_ROOT_KEY");
  apiId = (await keytally("/v1/apis", { name: `sdk-${Date.now()}` })).api_id;
});

describe("@unkey/api 2.x (Unkey's v2 API)", () => {
  const unkey = new Unkey({ rootKey, serverURL: base, retryConfig: { strategy: "none" } });

  test("keys.verifyKey: valid, credits spent, permissions queried", async () => {
    const { key, keyId } = await productKey({ remaining: 10, permissions: ["read", "write"], external_id: "cust_1" });
    const answer = await unkey.keys.verifyKey({ key, credits: { cost: 3 }, permissions: "read AND (write OR admin)" });
    assert.ok(answer.meta.requestId);
    assert.equal(answer.data.valid, true);
    assert.equal(answer.data.code, "VALID");
    assert.equal(answer.data.keyId, keyId);
    assert.equal(answer.data.credits, 7);
    assert.equal(answer.data.identity.externalId, "cust_1");
    const refused = await unkey.keys.verifyKey({ key, permissions: "admin" });
    assert.equal(refused.data.valid, false);
    assert.equal(refused.data.code, "INSUFFICIENT_PERMISSIONS");
  });

  test("keys.verifyKey: the key's rate limit, as Unkey's ratelimits", async () => {
    const { key } = await productKey({ ratelimit: { limit: 1, duration: 60000 } });
    const first = await unkey.keys.verifyKey({ key });
    assert.equal(first.data.code, "VALID");
    assert.equal(first.data.ratelimits[0].name, "default");
    assert.equal(first.data.ratelimits[0].remaining, 0);
    const second = await unkey.keys.verifyKey({ key });
    assert.equal(second.data.code, "RATE_LIMITED");
    assert.equal(second.data.ratelimits[0].exceeded, true);
  });

  test("keys.verifyKey: an unknown key is NOT_FOUND, not an error", async () => {
    const answer = await unkey.keys.verifyKey({ key: "not_a_key" });
    assert.deepEqual(answer.data, { valid: false, code: "NOT_FOUND" });
  });

  test("keys.createKey, then verified", async () => {
    const created = await unkey.keys.createKey({
      apiId,
      name: "sdk",
      externalId: "cust_7",
      credits: { remaining: 2 },
      ratelimits: [{ name: "default", limit: 10, duration: 60000, autoApply: true }],
    });
    const verified = await unkey.keys.verifyKey({ key: created.data.key });
    assert.equal(verified.data.keyId, created.data.keyId);
    assert.equal(verified.data.credits, 1);
    assert.equal(verified.data.name, "sdk");
    await assert.rejects(
      unkey.keys.createKey({ apiId, roles: ["admin"] }),
      (error) => error instanceof BadRequestErrorResponse && error.data$.error.errors[0].location === "body.roles",
    );
    await assert.rejects(
      unkey.keys.createKey({ apiId, ratelimits: [{ name: "default", limit: 1, duration: 1000 }] }),
      (error) => error instanceof BadRequestErrorResponse && /autoApply/.test(error.data$.error.errors[0].location),
    );
  });

  test("keys.getKey, apis.getApi, keys.deleteKey", async () => {
    const { key, keyId } = await productKey({ remaining: 4, external_id: "cust_9" });
    const got = await unkey.keys.getKey({ keyId });
    assert.equal(got.data.keyId, keyId);
    assert.equal(got.data.credits.remaining, 4);
    assert.equal(got.data.identity.externalId, "cust_9");
    const api = await unkey.apis.getApi({ apiId });
    assert.equal(api.data.id, apiId);
    await unkey.keys.deleteKey({ keyId });
    assert.equal((await unkey.keys.verifyKey({ key })).data.code, "NOT_FOUND");
    await assert.rejects(unkey.keys.getKey({ keyId }), (error) => error instanceof NotFoundErrorResponse);
  });

  test("keys.updateCredits: set, increment, decrement (never below zero), unlimited", async () => {
    const { key, keyId } = await productKey({ remaining: 1 });
    const raised = await unkey.keys.updateCredits({ keyId, operation: "increment", value: 4 });
    assert.equal(raised.data.remaining, 5);
    assert.equal((await unkey.keys.verifyKey({ key, credits: { cost: 2 } })).data.credits, 3);
    const cut = await unkey.keys.updateCredits({ keyId, operation: "decrement", value: 10 });
    assert.equal(cut.data.remaining, 0);
    assert.equal((await unkey.keys.verifyKey({ key })).data.code, "USAGE_EXCEEDED");
    assert.equal((await unkey.keys.updateCredits({ keyId, operation: "set", value: 8 })).data.remaining, 8);
    const unlimited = await unkey.keys.updateCredits({ keyId, operation: "set", value: null });
    assert.equal(unlimited.data.remaining, null);
    await assert.rejects(
      unkey.keys.updateCredits({ keyId, operation: "increment", value: 1 }),
      (error) => error instanceof BadRequestErrorResponse,
    );
  });

  test("keys.updateKey: only what is sent, null clears; meta kept exactly", async () => {
    const { key, keyId } = await productKey({ remaining: 3, external_id: "cust_3", description: "before" });
    await unkey.keys.updateKey({ keyId, name: "after", meta: { plan: "pro", seats: 2.5 }, permissions: ["read"] });
    const got = (await unkey.keys.getKey({ keyId })).data;
    assert.equal(got.name, "after");
    assert.deepEqual(got.meta, { plan: "pro", seats: 2.5 });
    assert.deepEqual(got.permissions, ["read"]);
    assert.equal(got.credits.remaining, 3);
    await unkey.keys.updateKey({ keyId, externalId: null, credits: null, enabled: false });
    const cleared = (await unkey.keys.getKey({ keyId })).data;
    assert.equal(cleared.identity, undefined);
    assert.equal(cleared.credits, undefined);
    const verified = await unkey.keys.verifyKey({ key });
    assert.equal(verified.data.code, "DISABLED");
    assert.deepEqual(verified.data.meta, { plan: "pro", seats: 2.5 });
  });

  test("apis.listKeys: pages of an API's keys, and one identity's", async () => {
    const ownApi = (await keytally("/v1/apis", { name: `sdk-list-${Date.now()}` })).api_id;
    const made = [];
    for (const externalId of ["cust_l", undefined, "cust_l"]) {
      const fields = { api_id: ownApi, ...(externalId ? { external_id: externalId } : {}) };
      made.push((await keytally("/v1/api_keys", fields)).api_key_id);
    }
    const first = (await unkey.apis.listKeys({ apiId: ownApi, limit: 2 })).result;
    assert.equal(first.pagination.hasMore, true);
    const second = (await unkey.apis.listKeys({ apiId: ownApi, limit: 2, cursor: first.pagination.cursor })).result;
    assert.equal(second.pagination.hasMore, false);
    assert.deepEqual([...first.data, ...second.data].map((key) => key.keyId), made);
    const pages = [];
    for await (const page of await unkey.apis.listKeys({ apiId: ownApi, limit: 1 })) {
      pages.push(...page.result.data.map((key) => key.keyId)); // the SDK's own iterator follows the cursor
    }
    assert.deepEqual(pages, made);
    const theirs = (await unkey.apis.listKeys({ apiId: ownApi, externalId: "cust_l" })).result;
    assert.deepEqual(theirs.data.map((key) => key.keyId), [made[0], made[2]]);
  });

  test("ratelimit.limit: an identifier's window, exactly", async () => {
    const asked = { namespace: "sdk", identifier: `user-${Date.now()}`, limit: 2, duration: 60000 };
    const first = await unkey.ratelimit.limit(asked);
    assert.equal(first.data.success, true);
    assert.equal(first.data.remaining, 1);
    assert.equal((await unkey.ratelimit.limit(asked)).data.success, true);
    const third = await unkey.ratelimit.limit(asked);
    assert.equal(third.data.success, false);
    assert.equal(third.data.remaining, 0);
    assert.ok(third.data.reset > Date.now());
  });

  test("errors are the SDK's typed errors", async () => {
    await assert.rejects(
      new Unkey({ rootKey: "kt_nosuchkey", serverURL: base }).keys.verifyKey({ key: "x" }),
      (error) => error instanceof UnauthorizedErrorResponse && error.statusCode === 401,
    );
    await assert.rejects(
      unkey.keys.verifyKey({ key: "x", permissions: "read AND" }),
      (error) =>
        error instanceof BadRequestErrorResponse &&
        error.data$.error.errors.some((problem) => problem.location === "body.permissions"),
    );
  });
});

describe("@unkey/api 0.38.0 (Unkey's v1 API)", () => {
  const unkey = new UnkeyV1({ rootKey, baseUrl: base, disableTelemetry: true, retry: { attempts: 0 } });

  test("keys.verify: valid with and without apiId, another API's key forbidden", async () => {
    const { key, keyId } = await productKey({ remaining: 2 });
    const { result, error } = await unkey.keys.verify({ key, apiId });
    assert.equal(error, undefined);
    assert.equal(result.valid, true);
    assert.equal(result.code, "VALID");
    assert.equal(result.keyId, keyId);
    assert.equal(result.remaining, 1);
    const withoutApi = await unkey.keys.verify({ key });
    assert.equal(withoutApi.result.remaining, 0);
    const spent = await unkey.keys.verify({ key });
    assert.equal(spent.result.code, "USAGE_EXCEEDED");
    const otherApi = (await keytally("/v1/apis", { name: `sdk-other-${Date.now()}` })).api_id;
    const other = await unkey.keys.verify({ key, apiId: otherApi });
    assert.equal(other.result.code, "FORBIDDEN");
  });

  test("keys.verify: permission objects", async () => {
    const { key } = await productKey({ permissions: ["read", "write"] });
    const asked = { and: ["read", { or: ["admin", "write"] }] };
    const { result } = await unkey.keys.verify({ key, authorization: { permissions: asked } });
    assert.equal(result.code, "VALID");
  });

  test("keys.create, then verified", async () => {
    const { result, error } = await unkey.keys.create({ apiId, ownerId: "cust_8", remaining: 1 });
    assert.equal(error, undefined);
    const verified = await unkey.keys.verify({ key: result.key, apiId });
    assert.equal(verified.result.keyId, result.keyId);
    assert.equal(verified.result.ownerId, "cust_8");
    assert.equal(verified.result.remaining, 0);
  });

  test("keys.get, apis.get, keys.delete", async () => {
    const { key, keyId } = await productKey({ remaining: 4 });
    const got = await unkey.keys.get({ keyId });
    assert.equal(got.error, undefined);
    assert.equal(got.result.id, keyId);
    assert.equal(got.result.apiId, apiId);
    assert.equal(got.result.remaining, 4);
    assert.equal((await unkey.apis.get({ apiId })).result.id, apiId);
    assert.equal((await unkey.keys.delete({ keyId })).error, undefined);
    assert.equal((await unkey.keys.verify({ key })).result.code, "NOT_FOUND");
    assert.equal((await unkey.keys.get({ keyId })).error.code, "NOT_FOUND");
  });

  test("keys.updateRemaining: increment, decrement, set", async () => {
    const { key, keyId } = await productKey({ remaining: 2 });
    assert.equal((await unkey.keys.updateRemaining({ keyId, op: "increment", value: 3 })).result.remaining, 5);
    assert.equal((await unkey.keys.updateRemaining({ keyId, op: "decrement", value: 1 })).result.remaining, 4);
    assert.equal((await unkey.keys.verify({ key, apiId })).result.remaining, 3);
    assert.equal((await unkey.keys.updateRemaining({ keyId, op: "set", value: null })).result.remaining, null);
    const { error } = await unkey.keys.updateRemaining({ keyId, op: "decrement", value: 1 });
    assert.equal(error.code, "BAD_REQUEST");
  });

  test("keys.update: name, meta, ratelimit, remaining", async () => {
    const { key, keyId } = await productKey({ remaining: 1 });
    const { error } = await unkey.keys.update({
      keyId,
      name: "v1",
      meta: { tier: 2 },
      ratelimit: { limit: 5, duration: 60000 },
      remaining: 6,
    });
    assert.equal(error, undefined);
    const got = (await unkey.keys.get({ keyId })).result;
    assert.equal(got.name, "v1");
    assert.deepEqual(got.meta, { tier: 2 });
    assert.equal(got.ratelimit.limit, 5);
    assert.equal(got.remaining, 6);
    const verified = (await unkey.keys.verify({ key, apiId })).result;
    assert.deepEqual(verified.meta, { tier: 2 });
    assert.equal(verified.remaining, 5);
  });

  test("apis.listKeys: a page, the total, one owner's keys", async () => {
    const ownApi = (await keytally("/v1/apis", { name: `sdk-list1-${Date.now()}` })).api_id;
    const made = [];
    for (const owner of ["cust_m", "cust_n", "cust_m"]) {
      made.push((await keytally("/v1/api_keys", { api_id: ownApi, external_id: owner })).api_key_id);
    }
    const first = await unkey.apis.listKeys({ apiId: ownApi, limit: 2 });
    assert.equal(first.error, undefined);
    assert.equal(first.result.total, 3);
    const rest = await unkey.apis.listKeys({ apiId: ownApi, limit: 2, cursor: first.result.cursor });
    assert.equal(rest.result.cursor, undefined);
    assert.deepEqual([...first.result.keys, ...rest.result.keys].map((key) => key.id), made);
    const owned = await unkey.apis.listKeys({ apiId: ownApi, ownerId: "cust_m" });
    assert.deepEqual(owned.result.keys.map((key) => key.id), [made[0], made[2]]);
  });

  test("ratelimits.limit: an identifier's window, the default namespace", async () => {
    const asked = { identifier: `user-${Date.now()}`, limit: 1, duration: 60000 };
    const first = await unkey.ratelimits.limit(asked);
    assert.equal(first.error, undefined);
    assert.equal(first.result.success, true);
    const second = await unkey.ratelimits.limit(asked);
    assert.equal(second.result.success, false);
    assert.equal(second.result.limit, 1);
  });

  test("analytics.getVerifications and keys.getVerifications count what was verified", async () => {
    const ownApi = (await keytally("/v1/apis", { name: `sdk-count-${Date.now()}` })).api_id;
    const made = [];
    for (const remaining of [2, 1]) {
      made.push(await keytally("/v1/api_keys", { api_id: ownApi, remaining, external_id: "cust_c" }));
    }
    const [first, second] = made;
    for (const key of [first.key_value, first.key_value, first.key_value, second.key_value]) {
      await unkey.keys.verify({ key, apiId: ownApi, tags: ["sdk"] });
    }
    const { result, error } = await unkey.analytics.getVerifications({
      apiId: ownApi,
      keyId: [first.api_key_id, second.api_key_id], // sent comma-joined
      groupBy: ["key", "day"],
    });
    assert.equal(error, undefined);
    const byKey = Object.fromEntries(result.map((point) => [point.keyId, [point.valid, point.usageExceeded]]));
    assert.deepEqual(byKey, { [first.api_key_id]: [2, 1], [second.api_key_id]: [1, 0] });
    const days = await unkey.keys.getVerifications({ keyId: first.api_key_id });
    assert.deepEqual(
      days.result.verifications.map((day) => [day.success, day.usageExceeded]),
      [[2, 1]],
    );
  });

  test("errors carry Unkey's code, docs and request id", async () => {
    const stranger = new UnkeyV1({ rootKey: "kt_nosuchkey", baseUrl: base, disableTelemetry: true });
    const { error } = await stranger.keys.verify({ key: "x" });
    assert.equal(error.code, "UNAUTHORIZED");
    assert.ok(error.docs && error.requestId && error.message);
  });
});
